import { formatHubId, parseHubId } from '../../src/hub/id.js';

describe('Hub ids', () => {
  it.each([
    ['Qwen/Qwen3-0.6B', { name: 'Qwen/Qwen3-0.6B', revision: 'main' }],
    ['Qwen/Qwen3-0.6B@v1.0', { name: 'Qwen/Qwen3-0.6B', revision: 'v1.0' }],
    [
      'meta-llama/Llama-3.2-1B@0123456789abcdef0123456789abcdef01234567',
      { name: 'meta-llama/Llama-3.2-1B', revision: '0123456789abcdef0123456789abcdef01234567' },
    ],
    ['hotpotqa/hotpot_qa@refs/convert/parquet', { name: 'hotpotqa/hotpot_qa', revision: 'refs/convert/parquet' }],
  ])('%s is a Hub id', (text, id) => {
    expect(parseHubId(text)).toEqual(id);
    expect(formatHubId(id)).toBe(text);
  });

  it.each([
    'gpt2',
    'models/tiny-base/',
    './models/tiny',
    '/abs/path',
    'a/b/c',
    '../up',
    'a--b/c',
    'a/b..c',
    'a/b@',
    'a/b@../x',
    'a/b@x y',
    '~/m',
    'a/-b',
  ])('%s is not (a path, or malformed)', (text) => {
    expect(parseHubId(text)).toBeNull();
  });
});
