/** SPEC §9: what `/rightsize`, `/rightsize help` and an unknown command answer. */
export function renderHelp(): string {
  return [
    "**rightsize commands** (one per line; people with write access):",
    "",
    "In issues and pull requests:",
    "- `/rightsize all` or `/rightsize TARGET…`: propose right-sized requests now, one pull request per workload. TARGET is `kind/name` or `namespace/kind/name`.",
    "  Options: `--cluster C`, `--namespace N`, `--dry-run` (show the table, open nothing).",
    "- `/rightsize policy validate`: check `.github/rightsize.yml` and list every problem with its line.",
    "- `/rightsize policy migrate`: open a pull request that moves the policy file to the current apiVersion, comments kept.",
    "- `/rightsize doctor`: check the metrics of this repository's clusters: which exist, what each missing one costs, and the fix.",
    "- `/rightsize onboard`: open the \"Configure rightsize\" pull request (a policy file in `mode: recommend` and a preview), also after one was closed.",
    "- `/rightsize help`: this list.",
    "",
    "In rightsize pull requests:",
    "- `/rightsize refresh`: observe again and update this proposal.",
    "- `/rightsize explain [CONTAINER]`: how each number was derived.",
    "- `/rightsize ignore [CONTAINER]`: leave the container (or the whole workload) out of later proposals; `/rightsize unignore [CONTAINER]` brings it back.",
    "- `/rightsize rebase`: rebuild this branch on the default branch.",
  ].join("\n");
}
