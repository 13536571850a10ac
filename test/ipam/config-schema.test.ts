import { readFileSync } from "node:fs";
import { join } from "node:path";
import Ajv2020 from "ajv/dist/2020";
import { CONFIG_SCHEMA_FILE, PlanError, parseConfig, placeholderFields, refusePlaceholders } from "../../ipam";
import { configSchemaText } from "../../cli/schema";

const ROOT = join(__dirname, "../..");
const schemaText = readFileSync(join(ROOT, CONFIG_SCHEMA_FILE), "utf8");
const example = JSON.parse(readFileSync(join(ROOT, "examples/multus.config.json"), "utf8"));
const validate = new Ajv2020({ strict: true, allErrors: true }).compile(JSON.parse(schemaText));

describe("multus.config.schema.json", () => {
  test("GIVEN the shipped schema THEN it is what the validator's fields generate (npm run schema)", () => {
    expect(schemaText).toBe(configSchemaText());
  });

  test("GIVEN the shipped example THEN the schema and the validator both accept it, and it points at the schema", () => {
    expect(validate(example)).toBe(true);
    expect(() => parseConfig(example, "examples/multus.config.json")).not.toThrow();
    expect(example.$schema).toBe(`../${CONFIG_SCHEMA_FILE}`);
  });

  test("GIVEN the example's ids THEN they are placeholders: npm start refuses it until they are real", () => {
    expect(placeholderFields(parseConfig(example)).length).toBeGreaterThan(5);
    expect(() => refusePlaceholders(parseConfig(example), "examples/multus.config.json")).toThrow(PlanError);
  });

  test.each([
    [{ multus: { sbunets: [] } }, /multus\.sbunets: is not a known field/],
    [{ nodeGroup: { maxSize: 0 } }, /nodeGroup\.maxSize: must be a whole number from 1 to 1000/],
    [{ multus: { strategy: "dhcp" } }, /multus\.strategy: must be one of/],
    [{ vpc: { id: "vpc-xyz" } }, /vpc\.id: "vpc-xyz" is not valid/],
    [{ multus: { subnets: [{ cidr: "10.0.4.0/24", availabilityZone: "us-west-2a" }] } }, /multus\.subnets\[0\]\.id: must be a non-empty string/],
  ])("GIVEN %j THEN the schema refuses what the validator refuses", (bad, message) => {
    expect(validate(bad)).toBe(false);
    expect(() => parseConfig(bad)).toThrow(message);
  });
});
