import { describe, expect, it } from "vitest";
import { parseCommands } from "../../src/app/commands.js";
import { fitComment, renderRefusal, renderReply } from "../../src/app/render/reply.js";
import { GITHUB_BODY_LIMIT } from "../../src/pipeline/index.js";

describe("the slash command parser (SPEC §9)", () => {
  it.each([
    ["/rightsize", [{ line: "/rightsize", name: "help" }]],
    ["/rightsize help", [{ line: "/rightsize help", name: "help" }]],
    ["/rightsize all", [{ line: "/rightsize all", name: "propose", targets: [], dryRun: false }]],
    [
      "/rightsize deployment/frontend shop/cronjob/nightly-report --dry-run",
      [
        {
          line: "/rightsize deployment/frontend shop/cronjob/nightly-report --dry-run",
          name: "propose",
          targets: [{ kind: "deployment", name: "frontend" }, { namespace: "shop", kind: "cronjob", name: "nightly-report" }],
          dryRun: true,
        },
      ],
    ],
    [
      "/rightsize all --cluster prod --namespace=shop",
      [{ line: "/rightsize all --cluster prod --namespace=shop", name: "propose", targets: [], dryRun: false, cluster: "prod", namespace: "shop" }],
    ],
    ['/rightsize all --cluster "eu west"', [{ line: '/rightsize all --cluster "eu west"', name: "propose", targets: [], dryRun: false, cluster: "eu west" }]],
    ["/rightsize policy validate", [{ line: "/rightsize policy validate", name: "policy-validate" }]],
    ["/rightsize policy migrate", [{ line: "/rightsize policy migrate", name: "policy-migrate" }]],
    ["/rightsize refresh", [{ line: "/rightsize refresh", name: "refresh" }]],
    ["/rightsize rebase", [{ line: "/rightsize rebase", name: "rebase" }]],
    ["/rightsize doctor", [{ line: "/rightsize doctor", name: "doctor" }]],
    ["/rightsize explain", [{ line: "/rightsize explain", name: "explain" }]],
    ["/rightsize explain web", [{ line: "/rightsize explain web", name: "explain", container: "web" }]],
    ["/rightsize ignore 'vault agent'", [{ line: "/rightsize ignore 'vault agent'", name: "ignore", container: "vault agent" }]],
    ["/rightsize unignore envoy", [{ line: "/rightsize unignore envoy", name: "unignore", container: "envoy" }]],
  ])("reads %j", (body, expected) => {
    expect(parseCommands(body)).toEqual(expected);
  });

  it.each([
    ["/rightsize frobnicate", 'unknown command "frobnicate"'],
    ["/rightsize all --force", "unknown option --force"],
    ["/rightsize all --cluster", "--cluster needs a value"],
    ["/rightsize all deployment/web", "name workloads or all, not both"],
    ["/rightsize --dry-run", "name the workloads (kind/name, namespace/kind/name) or all"],
    ["/rightsize a/b/c/d", '"a/b/c/d" is not a workload; write kind/name (deployment/frontend), namespace/kind/name (shop/deployment/frontend) or all'],
    ["/rightsize refresh now", '"/rightsize refresh" takes no arguments'],
    ["/rightsize doctor prod", '"/rightsize doctor" takes no arguments'],
    ["/rightsize explain a b", '"/rightsize explain" takes at most one container name'],
    ["/rightsize policy fix", '"/rightsize policy" takes validate or migrate'],
    ['/rightsize all --cluster "prod', "a \" quote is not closed"],
  ])("explains what is wrong with %j", (body, problem) => {
    expect(parseCommands(body)).toEqual([{ line: body, name: "invalid", problem }]);
  });

  it("reads several commands of one comment, line by line, with text around them", () => {
    const body = "Thanks for the PR!\r\n/rightsize explain web\nand then\n  /rightsize refresh\n";
    expect(parseCommands(body).map((command) => command.name)).toEqual(["explain", "refresh"]);
  });

  it("skips fenced code blocks, quotes and indented code, and commands that are not at the start of a line", () => {
    const body = [
      "```",
      "/rightsize all",
      "```",
      "~~~~",
      "/rightsize all",
      "```",
      "/rightsize all",
      "~~~~",
      "> /rightsize all",
      "    /rightsize all",
      "please run `/rightsize all` later",
      "/rightsizeall",
      "/rightsize help",
    ].join("\n");
    expect(parseCommands(body)).toEqual([{ line: "/rightsize help", name: "help" }]);
  });

  it("treats an unclosed fence as code to the end of the comment", () => {
    expect(parseCommands("```yaml\n/rightsize all\n")).toEqual([]);
  });
});

describe("replies", () => {
  it("answers one command as a sentence after the mention, with the marker of the comment it answers", () => {
    expect(renderReply("alice", [{ line: "/rightsize help", text: "rightsize understands these commands." }], 7)).toBe(
      "@alice rightsize understands these commands.\n\n<!-- rightsize:reply 7 -->\n",
    );
  });

  it("answers several commands each under its own line", () => {
    expect(
      renderReply(
        "bob",
        [
          { line: "/rightsize policy validate", text: "rightsize read `.github/rightsize.yml`: the policy is valid." },
          { line: "/rightsize all", text: "rightsize found nothing to do." },
        ],
        8,
      ),
    ).toBe(
      [
        "@bob rightsize ran 2 commands:",
        "",
        "> `/rightsize policy validate`",
        "",
        "rightsize read `.github/rightsize.yml`: the policy is valid.",
        "",
        "> `/rightsize all`",
        "",
        "rightsize found nothing to do.",
        "",
        "<!-- rightsize:reply 8 -->",
        "",
      ].join("\n"),
    );
  });

  it("refuses politely", () => {
    expect(renderRefusal("carol", 9)).toBe(
      "@carol thanks for the request. Only people with write, maintain or admin access to this repository can run rightsize commands, so nothing was run; a maintainer can run it for you.\n\n<!-- rightsize:reply 9 -->\n",
    );
  });

  it("cuts a reply to GitHub's limit and keeps its marker", () => {
    const long = renderReply("dave", [{ line: "/rightsize all --dry-run", text: `rightsize would propose:\n${"| row |\n".repeat(20_000)}` }], 10);
    const cut = fitComment(long);
    expect(cut.length).toBeLessThanOrEqual(GITHUB_BODY_LIMIT);
    expect(cut.endsWith("_(cut to fit GitHub's comment size limit)_\n\n<!-- rightsize:reply 10 -->\n")).toBe(true);
  });
});
