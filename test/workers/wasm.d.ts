// workerd compiles a .wasm import to a WebAssembly.Module (the CompiledWasm
// module rule), so the core needs no fetch and no file system there.
declare module "*.wasm" {
  const module: WebAssembly.Module;
  export default module;
}
