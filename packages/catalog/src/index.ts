export { parseCatalog, loadCatalog, toModelObject } from "./catalog.js";
export type { Catalog, Model, Route } from "./catalog.js";
export { CatalogFile, RouteConfig, ModelConfig, Price, Dialect } from "./schema.js";
export { interpolate } from "./interpolate.js";
