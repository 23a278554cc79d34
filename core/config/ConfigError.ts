// One way to say "this setting is wrong" from anywhere: a ConfigError whose message names the
// variable and why, surfaced when the layer that reads it is built (the process refuses to start).
import { Config, Schema, SchemaIssue } from "effect"

export const configError = (message: string, value?: string): Config.ConfigError =>
  new Config.ConfigError(new Schema.SchemaError(new SchemaIssue.InvalidValue({ message }, value)))
