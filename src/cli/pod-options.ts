/** The pod flags every command that can act on a remote node shares (see src/pod/). Declarations only. */
export const POD_OPTION = ["--pod <file>", "Yardstick pod.yaml inventory (default $KVM4NFV_POD)"] as const;
export const NODE_OPTION = [
  "--node <name>",
  "act on this node of the pod over SSH: a name, all, or role:ROLE (default: this machine)",
] as const;
export const ACCEPT_NEW_OPTION = [
  "--accept-new-host-key",
  "trust a node's host key on first contact (a changed key is always refused)",
] as const;
