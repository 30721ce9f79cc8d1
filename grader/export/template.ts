// The scripts and workflow files sockgrade writes (templates/gradescope/, templates/github/)
// are shell and YAML, where Handlebars' `{{ }}` would clash with GitHub's `${{ }}`: they use
// `@NAME@` placeholders instead, and a placeholder left without a value is an error.
export function fillTemplate(text: string, values: Record<string, string>): string {
  return text.replace(/@([A-Z_]+)@/g, (m, name: string) => {
    if (!Object.hasOwn(values, name)) throw new Error(`sockgrade: template placeholder ${m} has no value`);
    return values[name];
  });
}
