import { afterEach, describe, expect, it, vi } from 'vitest';
import { FALLBACK_LOCALE, usableLocale } from '../../demo/web/locale.js';

// The MNIST page once died at load in WebKit under a POSIX locale: navigator.language was "C",
// and uPlot's `new Intl.NumberFormat("C")` threw. demo/web/locale.ts gives the page a usable
// tag first; the WebKit runs of test/e2e/pages.e2e.test.ts (LANG=C) check the page itself.
describe("the page's locale", () => {
  afterEach(() => {
    vi.unstubAllGlobals();
    vi.resetModules();
  });

  it('keeps a tag Intl formats in, and falls back to en-US for C, POSIX, empty, en_US and non-strings', () => {
    for (const tag of ['en-US', 'ko-KR', 'de', 'ja-JP']) expect(usableLocale(tag), tag).toBe(tag);
    for (const tag of ['C', 'POSIX', '', 'en_US', 'C.UTF-8', '*', undefined, null, 42])
      expect(usableLocale(tag), String(tag)).toBe(FALLBACK_LOCALE);
    expect(() => new Intl.NumberFormat(usableLocale('C'))).not.toThrow();
  });

  it('gives navigator.language the fallback when the browser reports "C", and leaves a usable one alone', async () => {
    vi.stubGlobal('navigator', { language: 'C' });
    await import('../../demo/web/locale.js');
    expect(navigator.language).toBe('en-US');
    vi.resetModules();
    vi.stubGlobal('navigator', { language: 'ko-KR' });
    await import('../../demo/web/locale.js');
    expect(navigator.language).toBe('ko-KR');
  });
});
