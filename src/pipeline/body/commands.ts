export function renderCommands(): string {
  return [
    "#### Commands",
    "",
    "Comment on this pull request:",
    "- `/rightsize refresh`: recompute this proposal now",
    "- `/rightsize explain [CONTAINER]`: show how each number was derived",
    "- `/rightsize ignore [CONTAINER]`: stop proposing changes for this workload or container",
    "- `/rightsize rebase`: rebase this branch on the default branch",
  ].join("\n");
}
