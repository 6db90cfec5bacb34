import { describe, expect, it } from "vitest";
import { createTestApp } from "../helpers/app.js";
import { webhookPayload } from "../helpers/events.js";

describe("installation events", () => {
  it("hand the repositories an uninstall or a removal takes away to the schedules, by owner/name", async () => {
    const app = await createTestApp();
    const removed: string[][] = [];
    app.deps.onRepositoriesRemoved = async (repositories) => void removed.push([...repositories]);
    const installation = { id: 2, account: { login: "acme", type: "Organization" } };
    const sender = { login: "alice", type: "User" };
    await app.receive("installation", webhookPayload("installation", "deleted", { installation, repositories: [{ id: 1, name: "shop-config", full_name: "acme/shop-config", private: true }], sender }));
    await app.receive(
      "installation_repositories",
      webhookPayload("installation_repositories", "removed", {
        installation,
        repository_selection: "selected",
        repositories_added: [],
        repositories_removed: [{ id: 3, name: "infra", full_name: "acme/infra", private: true }],
        sender,
      }),
    );
    expect(removed).toEqual([["acme/shop-config"], ["acme/infra"]]);
  });
});
