/**
 * The page's locale, made safe before anything formats a number. uPlot builds its axis formatter
 * with `new Intl.NumberFormat(navigator.language)` when its module loads, and Intl throws a
 * RangeError on a tag it cannot parse. Browsers can report such tags: WebKitGTK under a POSIX
 * locale says "C", and "en_US" or "" occur too. Then the whole page died at load, stuck at
 * "loading the digits…". Imported by main.ts before uPlot, this module gives `navigator.language`
 * a usable tag on this page when the browser's own is not one; a usable tag is left as it is.
 * package.json names this file in `sideEffects` (the library has none): without that, esbuild
 * drops an import that binds nothing, and the page died under C.UTF-8 again.
 */

/** The default when the browser's tag is unusable: the language the page is written in. */
export const FALLBACK_LOCALE = 'en-US';

/**
 * `tag` when this engine's Intl formats numbers in it, else the fallback: "C" and "" are not
 * BCP 47 tags (Intl throws), and "POSIX" parses as a language no engine has.
 */
export function usableLocale(tag: unknown): string {
  if (typeof tag !== 'string' || tag === '') return FALLBACK_LOCALE;
  try {
    return Intl.NumberFormat.supportedLocalesOf(tag).length === 1 ? tag : FALLBACK_LOCALE;
  } catch {
    return FALLBACK_LOCALE; // RangeError: not a BCP 47 tag
  }
}

if (typeof navigator !== 'undefined' && usableLocale(navigator.language) !== navigator.language) {
  // An own property shadows the prototype's getter for this page only.
  Object.defineProperty(navigator, 'language', { value: FALLBACK_LOCALE, configurable: true });
}
