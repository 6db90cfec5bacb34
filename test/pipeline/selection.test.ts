import { describe, expect, it } from "vitest";
import { selectionsOfKeys } from "../../src/pipeline/index.js";

describe("selections of workload keys", () => {
  it("makes one selection per cluster, in first-seen order, and skips a key that is not cluster/namespace/Kind/name", () => {
    expect(selectionsOfKeys(["prod/shop/Deployment/web", "staging/shop/Deployment/web", "prod/batch/CronJob/report", "prod/broken"])).toEqual([
      {
        cluster: "prod",
        targets: [
          { namespace: "shop", kind: "Deployment", name: "web" },
          { namespace: "batch", kind: "CronJob", name: "report" },
        ],
      },
      { cluster: "staging", targets: [{ namespace: "shop", kind: "Deployment", name: "web" }] },
    ]);
    expect(selectionsOfKeys([])).toEqual([]);
  });
});
