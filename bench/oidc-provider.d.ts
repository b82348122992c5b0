// node-oidc-provider ships no types; the bench peer uses a handful of its documented calls.
declare module 'oidc-provider' {
  // biome-ignore lint/suspicious/noExplicitAny: untyped peer, used only by bench/peer/oidc-provider.ts
  const Provider: any;
  export default Provider;
}
