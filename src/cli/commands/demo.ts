import { cp, mkdir, mkdtemp, readdir, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Command } from "commander";
import { simpleGit } from "simple-git";
import { UsageError, workloadKey } from "../../domain/index.js";
import { PACKAGE_ROOT } from "../../package-root.js";
import { decisionRecordPath, gitEnvironment } from "../../pipeline/index.js";
import { renderDecisionTable } from "../../recommend/index.js";
import { readSnapshotFile } from "../inputs.js";
import { stdoutPainter } from "../output.js";
import { renderProposals } from "./propose.js";
import { runProposals } from "../run-proposals.js";

const EXAMPLES = path.join(PACKAGE_ROOT, "examples");

export function register(program: Command): void {
  program
    .command("demo")
    .description(
      "Run the main job on the bundled example: copy examples/config-repo into a temporary git repository, replay examples/snapshot.json, and propose branches locally. No cluster, GitHub or network needed.",
    )
    .option("--dir <dir>", "where to create the example repository (default: a new temporary directory)")
    .action(async (options: { dir?: string }) => {
      const repoDir = options.dir ? await emptyDirectory(options.dir) : await mkdtemp(path.join(tmpdir(), "rightsize-demo-"));
      await cp(path.join(EXAMPLES, "config-repo"), repoDir, { recursive: true });
      const identity = {
        GIT_AUTHOR_NAME: "Example Platform Team",
        GIT_AUTHOR_EMAIL: "platform@example.com",
        GIT_COMMITTER_NAME: "Example Platform Team",
        GIT_COMMITTER_EMAIL: "platform@example.com",
      };
      const git = simpleGit({ baseDir: repoDir, allowEnvironment: Object.keys(identity) }).env(gitEnvironment(identity));
      await git.init(["--initial-branch=main"]);
      await git.add(".");
      await git.commit("Example shop config repo");

      const snapshotFile = path.join(EXAMPLES, "snapshot.json");
      const snapshot = await readSnapshotFile(snapshotFile);
      const run = await runProposals({ repoDir, snapshot });

      const out = process.stdout;
      out.write(`rightsize demo: the example config repo is at ${repoDir}\n`);
      out.write(`observations: ${path.relative(process.cwd(), snapshotFile) || snapshotFile} (${snapshot.workloads.length} workloads, ${snapshot.createdAt})\n\n`);
      const paint = stdoutPainter({});
      out.write(renderDecisionTable(run.plan.workloads.map((workload) => workload.record), paint ? { paint } : {}));
      for (const { ref, path: file } of run.plan.notObserved) out.write(`in the repo but not observed: ${workloadKey(ref)} (${file})\n`);
      for (const ref of run.plan.notInRepo) out.write(`observed but not in the repo: ${workloadKey(ref)}\n`);
      out.write(`\nProposals (local branches from ${run.base.branch}):\n`);
      out.write(renderProposals(run.results, run.plan.proposalsPaused));
      const written = run.results.filter((result) => result.commit);
      if (written.length > 0) {
        out.write("\nPull request bodies (in .rightsize/out/, which git ignores: rightsize lists it in .git/info/exclude):\n");
        for (const result of written) if (result.bodyPath) out.write(`  ${path.join(repoDir, result.bodyPath)}\n`);
        out.write("Decision records (committed on each branch):\n");
        for (const result of written) for (const ref of result.workloads) out.write(`  ${result.branch}:${decisionRecordPath(ref)}\n`);
        out.write("\nLook at a proposal:\n");
        for (const result of written) out.write(`  git -C ${repoDir} log --stat -1 ${result.branch}\n`);
        out.write(`  git -C ${repoDir} diff main ${written[0]!.branch}\n`);
      }
    });
}

/**
 * `--dir`: a new or empty directory. The demo makes a git repository there and commits the
 * example to its main branch; inside an existing checkout it would commit onto the user's work.
 */
async function emptyDirectory(dir: string): Promise<string> {
  const absolute = path.resolve(dir);
  const entries = await readdir(absolute).catch((error: NodeJS.ErrnoException) => error);
  if (entries instanceof Error) {
    if (entries.code === "ENOENT") {
      await mkdir(absolute, { recursive: true });
      return absolute;
    }
    const isFile = entries.code === "ENOTDIR" && (await stat(absolute).catch(() => undefined))?.isFile();
    const reason =
      entries.code === "ENOTDIR" ? (isFile ? "is a file, not a directory" : "is below a file, not a directory") : entries.code === "EACCES" ? "cannot be read (permission denied)" : `cannot be read (${entries.code ?? entries.message})`;
    throw new UsageError(`--dir ${dir} ${reason}; pass a new or empty directory for the example repository`);
  }
  if (entries.length > 0) {
    throw new UsageError(`--dir ${dir} is not empty; the demo creates a git repository and commits the example there, so pass a new or empty directory`);
  }
  return absolute;
}
