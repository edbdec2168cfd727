import { PropertiesEditor } from 'properties-file/editor';

export type PropertyValue = string | number | boolean;

/**
 * A Java `.properties` file, entries in the given order. Escaping is the
 * `properties-file` package's, which follows `java.util.Properties.store`:
 * `:` and `=` in values come out as `\:` and `\=`, and Java reads them back verbatim.
 */
export function renderProperties(header: string, entries: Readonly<Record<string, PropertyValue>>): string {
  const editor = new PropertiesEditor('');
  editor.insertComment(header);
  for (const [key, value] of Object.entries(entries)) editor.insert(key, String(value));
  return `${editor.format().trimStart()}\n`;
}
