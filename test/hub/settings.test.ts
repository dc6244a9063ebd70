import { mkdtempSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { hubSettings } from '../../src/hub/settings.js';

const tmp = mkdtempSync(join(tmpdir(), 'hub-settings-'));
const NO_TOKEN = { HF_TOKEN_PATH: join(tmp, 'none') };

describe('Hub settings from the environment, as huggingface_hub reads them', () => {
  it('the cache: HF_HUB_CACHE, then HUGGINGFACE_HUB_CACHE, then HF_HOME/hub, then XDG_CACHE_HOME, then ~/.cache', () => {
    const all = { HF_HUB_CACHE: '/a', HUGGINGFACE_HUB_CACHE: '/b', HF_HOME: '/c', XDG_CACHE_HOME: '/d', ...NO_TOKEN };
    expect(hubSettings({}, all).cacheDir).toBe('/a');
    expect(hubSettings({}, { ...all, HF_HUB_CACHE: undefined }).cacheDir).toBe('/b');
    expect(hubSettings({}, { HF_HOME: '/c', XDG_CACHE_HOME: '/d', ...NO_TOKEN }).cacheDir).toBe('/c/hub');
    expect(hubSettings({}, { XDG_CACHE_HOME: '/d', ...NO_TOKEN }).cacheDir).toBe('/d/huggingface/hub');
    expect(hubSettings({}, NO_TOKEN).cacheDir).toBe(join(homedir(), '.cache/huggingface/hub'));
    expect(hubSettings({ cacheDir: '/opt' }, all).cacheDir).toBe('/opt');
  });

  it('the endpoint: the option, then HF_ENDPOINT, then huggingface.co; the token: HF_TOKEN, then the login file', () => {
    expect(hubSettings({}, { HF_ENDPOINT: 'http://mirror/', ...NO_TOKEN }).endpoint).toBe('http://mirror');
    expect(hubSettings({ hubUrl: 'http://x' }, { HF_ENDPOINT: 'http://mirror' }).endpoint).toBe('http://x');
    expect(hubSettings({}, NO_TOKEN)).toMatchObject({
      endpoint: 'https://huggingface.co',
      token: undefined,
      offline: false,
    });
    writeFileSync(join(tmp, 'token'), 'hf_from_file\n');
    expect(hubSettings({}, { HF_HOME: tmp })).toMatchObject({ token: 'hf_from_file', tokenFrom: join(tmp, 'token') });
    expect(hubSettings({}, { HF_HOME: tmp, HF_TOKEN: 'hf_env' })).toMatchObject({
      token: 'hf_env',
      tokenFrom: '$HF_TOKEN',
    });
    expect(hubSettings({}, { HF_HUB_OFFLINE: '1', ...NO_TOKEN }).offline).toBe(true);
    expect(hubSettings({}, { HF_HUB_OFFLINE: '0', ...NO_TOKEN }).offline).toBe(false);
  });
});
