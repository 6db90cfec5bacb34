import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { InputError } from "../../src/domain/index.js";
import { formatPolicyProblem, loadPolicy, loadPolicyFile, PolicyInvalidError } from "../../src/policy/index.js";
import { rightsize } from "../helpers/cli.js";

/**
 * Issue 11: the policy comes from a repository the operator does not control. `_extends` may
 * only name files inside the repository, and no error repeats what a file contains.
 */
const HEADER = "apiVersion: rightsize.dev/v1alpha2\nkind: RightsizePolicy\n";
const SECRET = "ghp_0123456789abcdefSECRET";

let repo: string;
let outside: string;
beforeEach(() => {
  repo = mkdtempSync(path.join(tmpdir(), "rightsize-hostile-repo-"));
  outside = mkdtempSync(path.join(tmpdir(), "rightsize-hostile-outside-"));
  mkdirSync(path.join(repo, ".git"));
  mkdirSync(path.join(repo, ".github"));
  writeFileSync(path.join(outside, "secrets.yml"), `token: ${SECRET}\n`);
});
afterEach(() => {
  rmSync(repo, { recursive: true, force: true });
  rmSync(outside, { recursive: true, force: true });
});

function writePolicy(text: string): void {
  writeFileSync(path.join(repo, ".github", "rightsize.yml"), text);
}

async function problemsOf(load: Promise<unknown>): Promise<string[]> {
  try {
    await load;
  } catch (error) {
    if (error instanceof PolicyInvalidError) return error.problems.map(formatPolicyProblem);
    throw error;
  }
  throw new Error("expected the policy to be invalid");
}

describe("_extends names only files inside the repository", () => {
  it("refuses an absolute path such as /proc/self/environ, and prints nothing of the environment", async () => {
    writePolicy(`_extends: /proc/self/environ\n${HEADER}`);
    const { status, stdout, stderr } = await rightsize("policy", "validate", path.join(repo, ".github", "rightsize.yml"));
    expect(status).toBe(2);
    expect(stdout).toBe(
      [
        `${path.join(repo, ".github", "rightsize.yml")}:1:11 _extends: "/proc/self/environ" is an absolute path; name a file inside the repository, relative to rightsize.yml`,
        `${path.join(repo, ".github", "rightsize.yml")}: invalid (1 error, 0 warnings)`,
        "",
      ].join("\n"),
    );
    expect(stderr).toBe("");
    expect(stdout).not.toContain(process.env.PATH ?? "PATH=");
  });

  it("refuses ../ that leads out of the repository (plan reads the default policy the same way)", async () => {
    writePolicy(`${HEADER}_extends: ../../../../../../../../etc/passwd\n`);
    expect(await problemsOf(loadPolicyFile(undefined, repo))).toEqual([
      '.github/rightsize.yml:3:11 _extends: "../../../../../../../../etc/passwd" leads out of the repository; _extends may only name a file inside it',
    ]);
  });

  it("refuses a symbolic link in the repository that points outside it, without reading it", async () => {
    symlinkSync(path.join(outside, "secrets.yml"), path.join(repo, ".github", "org.yml"));
    writePolicy(`_extends: org.yml\n${HEADER}`);
    const problems = await problemsOf(loadPolicyFile(undefined, repo));
    expect(problems).toEqual(['.github/rightsize.yml:1:11 _extends: "org.yml" is a symbolic link to a file outside the repository; _extends may only name a file inside it']);
    expect(problems.join("\n")).not.toContain(SECRET);
  });

  it("refuses a policy file that is itself a symbolic link out of the repository", async () => {
    symlinkSync(path.join(outside, "secrets.yml"), path.join(repo, ".github", "rightsize.yml"));
    const error = await loadPolicyFile(undefined, repo).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).message).toBe(".github/rightsize.yml: is a symbolic link to a file outside the repository; make it a regular file");
  });

  it("follows ../ and symbolic links that stay inside the repository", async () => {
    writeFileSync(path.join(repo, "org-defaults.yml"), `${HEADER}recommend:\n  minChangePercent: 25\n`);
    symlinkSync(path.join(repo, "org-defaults.yml"), path.join(repo, ".github", "org.yml"));
    writePolicy(`_extends: org.yml\n${HEADER}`);
    expect((await loadPolicyFile(undefined, repo)).policy.recommend.minChangePercent).toBe(25);
    writePolicy(`_extends: ../org-defaults.yml\n${HEADER}`);
    expect((await loadPolicyFile(undefined, repo)).policy.recommend.minChangePercent).toBe(25);
  });

  it("refuses a base that is a directory, too large, not UTF-8, or not a path, each at the _extends line", async () => {
    mkdirSync(path.join(repo, ".github", "dir.yml"));
    writeFileSync(path.join(repo, ".github", "big.yml"), `${HEADER}x-padding: "${"a".repeat(256 * 1024)}"\n`);
    writeFileSync(path.join(repo, ".github", "latin1.yml"), Buffer.concat([Buffer.from(`${HEADER}# caf`), Buffer.from([0xe9]), Buffer.from("\n")]));
    const cases: [string, string][] = [
      ["dir.yml", '.github/rightsize.yml:1:11 _extends: "dir.yml": is not a regular file; a policy is a YAML file'],
      ["big.yml", '.github/rightsize.yml:1:11 _extends: "big.yml": is 256.1 KiB, more than the 256 KiB a policy file may be; move what is not policy elsewhere'],
      ["latin1.yml", '.github/rightsize.yml:1:11 _extends: "latin1.yml": is not UTF-8 text; save it as UTF-8'],
      ["[a.yml, b.yml]", '.github/rightsize.yml:1:11 _extends: must be the path of a policy file, e.g. "org-defaults.yml"'],
    ];
    for (const [reference, expected] of cases) {
      writePolicy(`_extends: ${reference}\n${HEADER}`);
      expect(await problemsOf(loadPolicyFile(undefined, repo))).toEqual([expected]);
    }
  });

  it("keeps loadPolicy pure over texts: bases the caller supplies (Probot's context.config) are merged as given", () => {
    const loaded = loadPolicy({ path: ".github/rightsize.yml", text: `_extends: .github\n${HEADER}` }, [{ path: "org/.github:rightsize.yml", text: `${HEADER}mode: recommend\n` }]);
    expect(loaded.policy.mode).toBe("recommend");
  });
});

describe("no policy error repeats the contents of a file", () => {
  it("says a file that is one long string is not a mapping, without quoting it", () => {
    const environ = `HOME=/root\0GITHUB_TOKEN=${SECRET}\0PATH=/usr/bin\0`;
    const problems = (() => {
      try {
        loadPolicy({ path: "environ", text: environ });
      } catch (error) {
        return (error as PolicyInvalidError).problems.map(formatPolicyProblem);
      }
      return [];
    })();
    expect(problems.join("\n")).not.toContain(SECRET);
    expect(problems.join("\n")).not.toContain("HOME=");
    expect(problems.length).toBeGreaterThan(0);
  });

  it("states a YAML syntax error without the source line", () => {
    expect(() => loadPolicy({ path: "p.yml", text: `${HEADER}mode: |${SECRET}\n  text\n` })).toThrow(PolicyInvalidError);
    try {
      loadPolicy({ path: "p.yml", text: `${HEADER}mode: |${SECRET}\n  text\n` });
    } catch (error) {
      expect((error as PolicyInvalidError).problems.map(formatPolicyProblem)).toEqual(["p.yml:3:8: Block scalar header includes extra characters"]);
    }
  });

  it("quotes at most 64 characters of a wrong value", () => {
    try {
      loadPolicy({ path: "p.yml", text: `${HEADER}mode: ${"x".repeat(100)}${SECRET}\n` });
      expect.unreachable();
    } catch (error) {
      expect((error as PolicyInvalidError).problems.map(formatPolicyProblem)).toEqual([`p.yml:3:7 mode: expected one of propose, recommend, disabled, got "${"x".repeat(63)}…"`]);
    }
  });
});

describe("bounds on what a policy file may make rightsize do", () => {
  function problems(text: string): string[] {
    try {
      loadPolicy({ path: "p.yml", text });
    } catch (error) {
      return (error as PolicyInvalidError).problems.map(formatPolicyProblem);
    }
    throw new Error("expected the policy to be invalid");
  }

  it("refuses a text over 256 KiB before parsing it", () => {
    expect(problems(`${HEADER}x-pad: "${"a".repeat(300 * 1024)}"\n`)).toEqual(["p.yml:1:1: is 300.1 KiB, more than the 256 KiB rightsize reads; a policy file may be 256 KiB"]);
  });

  it("refuses nested aliases that would expand a few hundred bytes into billions of values", () => {
    const bomb = ["x-a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]", ...Array.from({ length: 11 }, (_, level) => `x-a${level + 1}: &a${level + 1} [${Array(9).fill(`*a${level}`).join(", ")}]`)].join("\n");
    const started = performance.now();
    expect(problems(`${HEADER}${bomb}\n`)).toEqual(["p.yml:1:1: expands aliases (*name) to more than 100 copies; write the values out"]);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it("refuses collections nested deeper than 256 levels", () => {
    expect(problems(`${HEADER}x-deep: ${"[".repeat(300)}${"]".repeat(300)}\n`)).toEqual(["p.yml:3:264: nests collections more than 256 levels deep; a policy is a few levels deep"]);
  });

  it("refuses a second document", () => {
    expect(problems(`${HEADER}---\n${HEADER}`)).toEqual(["p.yml:3:1: holds more than one YAML document (---); a policy file is one document"]);
  });
});
