export * from "./errors.js";
export * from "./quantity.js";
export * from "./workload.js";
export * from "./observation.js";
export * from "./trace.js";
export * from "./json-schema.js";
export * from "./files.js";
export * from "./text-table.js";
