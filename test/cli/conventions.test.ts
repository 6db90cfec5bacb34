import { appendFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { parse } from "yaml";
import { colorEnabled, printTable, renderCsv, renderMarkdownTable, renderYaml } from "../../src/cli/output.js";
import { buildProgram } from "../../src/cli/program.js";
import { rightsize } from "../helpers/cli.js";
import { exampleRepo, git, type ExampleRepo } from "../helpers/git-repo.js";
import { withTTY } from "../helpers/terminal.js";

const EXAMPLES = path.join(import.meta.dirname, "../../examples");
const CONFIG_REPO = path.join(EXAMPLES, "config-repo");
const SNAPSHOT = path.join(EXAMPLES, "snapshot.json");
const plan = (...args: string[]) => rightsize("plan", "--repo", CONFIG_REPO, "--snapshot", SNAPSHOT, ...args);

function allCommands(command: Command): Command[] {
  return [command, ...command.commands.flatMap(allCommands)];
}

describe("help and usage errors", () => {
  it("shows no (default: []) in the help of any command", async () => {
    const program = await buildProgram();
    const helps = allCommands(program).map((command) => ({ name: command.name(), help: command.helpInformation() }));
    expect(helps.length).toBeGreaterThan(14);
    expect(helps.filter(({ help }) => help.includes("(default: [])")).map(({ name }) => name)).toEqual([]);
  });

  it("answers a mistyped flag of a subcommand with commander's suggestion and one line saying where the flags are", async () => {
    expect(await rightsize("policy", "validate", "--outptu", "json")).toEqual({
      status: 2,
      stdout: "",
      stderr: "error: unknown option '--outptu'\n(Did you mean --output?)\nsee rightsize policy validate --help\n",
    });
  });

  it("takes -o/--output with the same five formats on every command that prints data", async () => {
    const program = await buildProgram();
    const withOutput = allCommands(program).filter((command) => command.options.some((option) => option.long === "--output"));
    expect(withOutput.map((command) => command.name()).sort()).toEqual(["backtest", "discover", "doctor", "plan", "propose", "recommend", "scan", "schema", "snapshot", "validate", "verify", "versions"]);
    for (const command of withOutput) {
      const option = command.options.find((candidate) => candidate.long === "--output")!;
      expect(option.short, command.name()).toBe("-o");
      if (command.name() !== "schema") expect(option.description, command.name()).toBe("output format: table, json, yaml, csv or markdown");
    }
  });
});

describe("colour", () => {
  it.each([
    ["a terminal", { isTTY: true }, {}, undefined, true],
    ["a pipe", { isTTY: false }, {}, undefined, false],
    ["a terminal with NO_COLOR", { isTTY: true }, { NO_COLOR: "1" }, undefined, false],
    ["a terminal with an empty NO_COLOR (no-color.org: ignored)", { isTTY: true }, { NO_COLOR: "" }, undefined, true],
    ["a terminal with --no-color", { isTTY: true }, {}, false, false],
    ["a dumb terminal", { isTTY: true }, { TERM: "dumb" }, undefined, false],
  ])("on %s: %s", (_what, stream, env, flag, expected) => {
    expect(colorEnabled(stream, env, flag)).toBe(expected);
  });

  it("colours a decrease green, an increase yellow and the ratings in plan's table on a terminal", async () => {
    const { stdout } = await withTTY(process.stdout, true, () => plan("deployment/checkout"));
    expect(stdout.split("\n")[1]).toBe(
      "prod     shop/Deployment/checkout  server     200m               \u001b[33m256Mi → 356Mi (+39.1%)\u001b[39m  +0.60 USD  \u001b[33mCAUTION\u001b[39m  MEDIUM (70)  change  propose",
    );
    expect(stdout.split("\n")[2]).toBe(
      "prod     shop/Deployment/checkout  envoy      \u001b[32m100m → 50m (−50%)\u001b[39m  \u001b[32m128Mi → 64Mi (−50%)\u001b[39m     −2.70 USD  \u001b[32mSAFE\u001b[39m     HIGH (80)    change  propose",
    );
  });

  describe("none", () => {
    const saved = process.env.NO_COLOR;
    afterEach(() => {
      if (saved === undefined) delete process.env.NO_COLOR;
      else process.env.NO_COLOR = saved;
    });

    it("with NO_COLOR, --no-color or a pipe", async () => {
      const plain = (await withTTY(process.stdout, false, () => plan())).stdout;
      expect(plain).not.toContain("\u001b");
      expect((await withTTY(process.stdout, true, () => plan("--no-color"))).stdout).toBe(plain);
      process.env.NO_COLOR = "1";
      expect((await withTTY(process.stdout, true, () => plan())).stdout).toBe(plain);
    });
  });

  it("prints only its own colours: any other escape in a table shows as text", () => {
    let written = "";
    const spy = vi.spyOn(process.stdout, "write").mockImplementation((chunk) => ((written += String(chunk)), true));
    try {
      printTable("\u001b[32mok\u001b[39m \u001b]8;;https://evil.example\u0007link \u001b[8mhidden\n");
    } finally {
      spy.mockRestore();
    }
    expect(written).toBe("\u001b[32mok\u001b[39m \\u001b]8;;https://evil.example\\u0007link \\u001b[8mhidden\n");
  });
});

describe("formats", () => {
  it("quotes CSV fields as RFC 4180 does, one line per row", () => {
    expect(renderCsv({ columns: ["name", "note", "count"], rows: [["a,b", 'say "hi"', 3], [" padded", null, 0], ["plain", "", true]] })).toBe(
      'name,note,count\n"a,b","say ""hi""",3\n" padded",,0\nplain,,true\n',
    );
  });

  it("escapes markdown in table cells", () => {
    expect(renderMarkdownTable({ columns: ["name"], rows: [["a|b *x* <img>"]] })).toBe("| name |\n| --- |\n| a\\|b \\*x\\* &lt;img&gt; |\n");
  });

  it("writes YAML without anchors for repeated objects", () => {
    const shared = { cpu: "100m" };
    const text = renderYaml([{ requests: shared }, { requests: shared }]);
    expect(text).toBe("- requests:\n    cpu: 100m\n- requests:\n    cpu: 100m\n");
    expect(parse(text)).toEqual([{ requests: shared }, { requests: shared }]);
  });
});

describe("plan: workload targets", () => {
  it("plans only the workloads named, in the same JSON shape", async () => {
    const { status, stdout } = await plan("shop/deployment/frontend", "cronjob/nightly-report", "-o", "json");
    expect(status).toBe(0);
    expect((JSON.parse(stdout) as { workload: { name: string } }[]).map((entry) => entry.workload.name)).toEqual(["nightly-report", "frontend"]);
  });

  it("keeps what did not match to the selection out of the lists under the table", async () => {
    const { stdout } = await plan("--cluster", "prod", "-n", "shop", "deployment/api");
    expect(stdout).toMatch(/^CLUSTER .*\nprod +shop\/Deployment\/api +api +2 → 1 \(−50%\)/);
    expect(stdout).not.toContain("legacy-batch");
  });
});

describe("propose --local", () => {
  let repo: ExampleRepo;
  beforeEach(() => {
    repo = exampleRepo();
  });
  afterEach(() => repo.cleanup());

  it("leaves the work tree clean: the pull request bodies are listed in .git/info/exclude, once", async () => {
    const first = await rightsize("propose", "--local", "--repo", repo.work, "--snapshot", SNAPSHOT, "deployment/frontend");
    expect(first.status).toBe(0);
    expect(existsSync(path.join(repo.work, ".rightsize/out/prod/shop/deployment-frontend.md"))).toBe(true);
    expect(git(repo.work, "status", "--porcelain")).toBe("");
    await rightsize("propose", "--local", "--repo", repo.work, "--snapshot", SNAPSHOT, "deployment/api");
    const exclude = readFileSync(path.join(repo.work, ".git/info/exclude"), "utf8");
    expect(exclude.split("\n").filter((line) => line === "/.rightsize/out/")).toHaveLength(1);
    expect(exclude).toContain("# pull request bodies written by rightsize propose --local\n/.rightsize/out/\n");
  });

  it("writes the exclusion where git reads it in a linked worktree too", async () => {
    const linked = path.join(repo.root, "linked");
    git(repo.work, "worktree", "add", "--quiet", "-b", "elsewhere", linked, "main");
    const result = await rightsize("propose", "--local", "--repo", linked, "--snapshot", SNAPSHOT, "deployment/api");
    expect(result.status).toBe(0);
    expect(git(linked, "status", "--porcelain")).toBe("");
  });

  it("proposes only the workloads named", async () => {
    const { status, stdout } = await rightsize("propose", "--local", "--repo", repo.work, "--snapshot", SNAPSHOT, "deployment/frontend", "-o", "csv");
    expect(status).toBe(0);
    expect(stdout).toBe(
      "branch,status,cluster,namespace,kind,name,pull_request,body,reason\nrightsize/prod/shop/deployment-frontend,created,prod,shop,Deployment,frontend,,.rightsize/out/prod/shop/deployment-frontend.md,\n",
    );
  });

  it("says --policy FILE is read from disk, not from the commit", async () => {
    const file = path.join(repo.root, "team-policy.yml");
    writeFileSync(file, readFileSync(path.join(repo.work, ".github/rightsize.yml")));
    const { stderr } = await rightsize("propose", "--local", "--repo", repo.work, "--snapshot", SNAPSHOT, "--policy", file, "deployment/api");
    expect(stderr.split("\n")[0]).toMatch(new RegExp(`^rightsize: proposals from main at [0-9a-f]{12}, with the policy ${file.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")} as it is on disk \\(not the commit's\\)$`));
  });

  it("says the policy file has changes not committed, and how to use them", async () => {
    appendFileSync(path.join(repo.work, ".github/rightsize.yml"), "apply: {minConfidence: HIGH}\n");
    const commit = git(repo.work, "rev-parse", "main").trim().slice(0, 12);
    const { stderr } = await rightsize("propose", "--local", "--repo", repo.work, "--snapshot", SNAPSHOT, "deployment/api");
    expect(stderr.split("\n")[0]).toBe(
      `rightsize: .github/rightsize.yml has changes not committed on main (${commit}): proposals use the committed version; commit them, or pass --policy .github/rightsize.yml to use the file as it is on disk`,
    );
  });

  it("says a policy file that is not committed at all is not used: the defaults are", async () => {
    git(repo.work, "rm", "--quiet", "--cached", ".github/rightsize.yml");
    git(repo.work, "commit", "--quiet", "-m", "no policy in git");
    const commit = git(repo.work, "rev-parse", "main").trim().slice(0, 12);
    const { stderr } = await rightsize("propose", "--local", "--repo", repo.work, "--snapshot", SNAPSHOT);
    expect(stderr.split("\n")[0]).toBe(
      `rightsize: .github/rightsize.yml is not committed on main (${commit}): proposals use the default policy; commit it, or pass --policy .github/rightsize.yml to use the file as it is on disk`,
    );
    expect(stderr.split("\n")[1]).toMatch(/^rightsize: proposals from main at [0-9a-f]{12}, with the policy \(defaults\)$/);
  });

  it("says nothing of the policy when the file on disk is the committed one", async () => {
    const { stderr } = await rightsize("propose", "--local", "--repo", repo.work, "--snapshot", SNAPSHOT, "deployment/api");
    expect(stderr).not.toContain("not committed");
  });
});
