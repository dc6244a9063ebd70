import { extractAnswer } from '../../src/tasks/extract.js';

describe('answer extraction', () => {
  it('takes the text after </think>, trimmed', () => {
    expect(extractAnswer('<think>\nlet me see\n</think>\n\nParis\n')).toEqual({
      answer: 'Paris',
      source: 'after-think',
      closedThinking: true,
    });
  });
  it('uses the last </think> and cuts at the end-of-turn token', () => {
    expect(extractAnswer('a</think>b</think> Rome<|im_end|>\nignored').answer).toBe('Rome');
    expect(extractAnswer('</think>Oslo<|endoftext|><|im_end|>').answer).toBe('Oslo');
  });
  it('prefers an "Answer:" line after </think>, then a \\boxed{}', () => {
    expect(extractAnswer('</think>\nThe capital is Paris.\nAnswer: Paris')).toMatchObject({
      answer: 'Paris',
      source: 'answer-line',
    });
    expect(extractAnswer('</think>\n**Final Answer:** 14.1%')).toMatchObject({
      answer: '14.1%',
      source: 'answer-line',
    });
    expect(extractAnswer('</think> so \\boxed{\\frac{1}{2}} done')).toMatchObject({
      answer: '\\frac{1}{2}',
      source: 'boxed',
    });
  });
  it('unwraps markdown emphasis and back-ticks around the answer', () => {
    expect(extractAnswer('</think>**Paris**').answer).toBe('Paris');
    expect(extractAnswer('</think>`42`').answer).toBe('42');
  });
  it('without </think>: an Answer: line, else the last non-empty line', () => {
    expect(extractAnswer('<think>thinking...\nAnswer: Lima\nmore')).toMatchObject({
      answer: 'Lima',
      source: 'answer-line',
      closedThinking: false,
    });
    expect(extractAnswer('<think>step one\nstep two\n\nQuito\n\n')).toMatchObject({
      answer: 'Quito',
      source: 'last-line',
      closedThinking: false,
    });
  });
  it('gives an empty answer when nothing is left', () => {
    expect(extractAnswer('<think>x</think>   <|im_end|>')).toMatchObject({ answer: '', source: 'empty' });
    expect(extractAnswer('')).toMatchObject({ answer: '', source: 'empty' });
    expect(extractAnswer('</think>Answer:')).toMatchObject({ source: 'after-think' }); // an empty label is not an answer line
  });
});
