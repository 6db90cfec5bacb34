import { readFileSync } from "node:fs";
import path from "node:path";
import { PACKAGE_ROOT } from "./package-root.js";

const packageJson = JSON.parse(readFileSync(path.join(PACKAGE_ROOT, "package.json"), "utf8")) as { version: string };

export const TOOL_NAME = "rightsize";
export const TOOL_VERSION: string = packageJson.version;

/** The tool as decision records name it (SPEC §6). */
export const TOOL = { name: TOOL_NAME, version: TOOL_VERSION } as const;
