/** The skill catalog a config names: "default" is the embedded one, anything else a YAML/JSON file. */
import { loadSkillCatalog, type SkillCatalog } from "../skills/catalog.js";
import { DEFAULT_CATALOG } from "../skills/default-catalog.js";

export async function loadCatalog(setting: string): Promise<SkillCatalog> {
  return setting === "default" ? DEFAULT_CATALOG : loadSkillCatalog(setting);
}
