import { loadPromptTemplate, parsePromptTemplate, renderAnswer, renderPrompt } from '../../src/tasks/prompts.js';
import { TASKS } from '../../src/tasks/record.js';

const record = { context: 'Title: A\nText {{question}} stays.', question: 'Who?' };

describe('prompt templates in configs/prompts/', () => {
  it.each(TASKS)(
    '%s: warm has a task description and answer-format instructions; cold is the input alone',
    async (task) => {
      const t = await loadPromptTemplate(task);
      const warm = renderPrompt(t, 'warm', record);
      const cold = renderPrompt(t, 'cold', record);
      expect(warm.chatTemplate).toBe(true);
      expect(warm.enableThinking).toBe(true);
      const w = warm.messages.map((m) => m.content).join('\n');
      expect(w).toContain(record.context);
      expect(w).toContain('Question: Who?');
      expect(w).toMatch(/write only the final answer/);
      expect(cold.messages).toEqual([{ role: 'user', content: 'Title: A\nText {{question}} stays.\n\nWho?' }]);
      expect(renderAnswer(t, '14.1%')).toBe('14.1%');
    },
  );
  it('rejects unknown placeholders and bad fields, naming them', () => {
    const ok = 'task: finqa\nwarm:\n  user: "{{context}}"\ncold:\n  user: "{{context}}"\n';
    expect(parsePromptTemplate(ok, 'x.yaml').cold.chat_template).toBe(true);
    expect(() =>
      parsePromptTemplate(ok.replace('warm:\n  user: "{{context}}"', 'warm:\n  user: "{{contxt}}"'), 'x.yaml'),
    ).toThrow(/x\.yaml: warm\.user: unknown placeholder \{\{contxt\}\}/);
    expect(() => parsePromptTemplate('task: squad\nwarm: {user: a}\ncold: {user: b}\n', 'y.yaml')).toThrow(
      /y\.yaml: task:/,
    );
    expect(() => parsePromptTemplate('task: finqa\nwarm: {user: a}\n', 'z.yaml')).toThrow(/z\.yaml: cold:/);
  });
});
