import { expect, it, vi } from 'vitest';

// dotToSvg renders once more on a new Graphviz instance when the first one traps (WebKit's
// "Out of bounds memory access"), and only then: a bad graph's error is thrown as it is.
const made = vi.hoisted(() => ({ instances: 0, behaviour: [] as ('trap' | 'bad' | 'ok')[] }));
vi.mock('@viz-js/viz', () => ({
  instance: async () => {
    const mine = made.behaviour[made.instances++] ?? 'ok';
    return {
      renderString: () => {
        if (mine === 'trap') throw new WebAssembly.RuntimeError('Out of bounds memory access');
        if (mine === 'bad') throw new Error('syntax error in line 1');
        return '<svg/>';
      },
    };
  },
}));
const { dotToSvg } = await import('../../ts/render/index.js');

it('renders again on a new instance after a trap, and throws other errors at once', async () => {
  made.behaviour = ['trap', 'ok'];
  expect(await dotToSvg('digraph { a -> b }')).toBe('<svg/>');
  expect(made.instances).toBe(2);
  expect(await dotToSvg('digraph { a -> b }')).toBe('<svg/>'); // the new instance is kept
  expect(made.instances).toBe(2);
});

it('a bad graph is not retried, and a second trap is thrown', async () => {
  made.instances = 0;
  made.behaviour = ['bad'];
  vi.resetModules();
  const fresh = await import('../../ts/render/index.js');
  await expect(fresh.dotToSvg('digraph {')).rejects.toThrow('syntax error in line 1');
  expect(made.instances).toBe(1);
  made.instances = 0;
  made.behaviour = ['trap', 'trap'];
  vi.resetModules();
  const again = await import('../../ts/render/index.js');
  await expect(again.dotToSvg('digraph { a }')).rejects.toBeInstanceOf(WebAssembly.RuntimeError);
  expect(made.instances).toBe(2);
});
