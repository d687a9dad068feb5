/** An argument of a kernel in the table of crate/src/abi.rs: its name, role and element count (tensors). */
export interface TableArg {
  name: string;
  role: string;
  len: string | undefined;
}
export interface TableKernel {
  name: string;
  args: TableArg[];
  returns: string;
  /** The entry's `where` values, in order: a name and its Rust expression. */
  where: { name: string; expr: string }[];
}
export interface KernelTable {
  kernels: TableKernel[];
  /** The module's other `nn_*` exports, with the cargo feature that gates one, if any. */
  exports: { name: string; feature: string | undefined }[];
}
export const ABI_PATH: URL;
export function readKernelTable(source?: string): KernelTable;
