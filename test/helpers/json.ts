/**
 * Parsed JSON that a test reads and edits by the shape it knows: a model file's header, a CLI's
 * `--json` summary, a WebDriver reply. Typing every such shape would restate the code under test.
 */
// biome-ignore lint/suspicious/noExplicitAny: tests read and mutate JSON of many known shapes
export type Json = any;
