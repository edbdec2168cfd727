import type { DataPlatform } from './data-platform';

/**
 * The CDC data flow as a Mermaid flowchart, drawn from the platform itself:
 * source tables, connectors, topics and ClickHouse tables. The README embeds
 * the default platform's diagram, and a test keeps the two identical.
 */
export function renderFlowDiagram(platform: DataPlatform): string {
  const cdc = platform.cdc;
  const clickhouse = platform.clickhouse;
  if (!cdc) return '';
  const s = cdc.settings;
  const id = (...parts: string[]) => parts.join('_').replace(/[^a-zA-Z0-9_]/g, '_');
  const lines = ['flowchart LR'];
  const pgDb = platform.postgres.patroni.settings.database;
  for (const source of ['postgres', 'mongo'] as const) {
    const streams = s.streams.filter((st) => st.source === source);
    if (streams.length === 0) continue;
    const connector = id('connector', source);
    const via = source === 'postgres' ? `pgoutput, slot ${s.postgres.slot}` : 'change streams';
    lines.push(`  ${connector}[["Debezium ${source}-cdc"]]`);
    for (const stream of streams) {
      const table = id(source, stream.table);
      const where =
        source === 'postgres' ? `${pgDb}.public.${stream.table}` : `${platform.mongo!.database}.${stream.table}`;
      lines.push(`  ${table}[("${source === 'postgres' ? 'Postgres' : 'MongoDB'} ${where}")] -->|${via}| ${connector}`);
      const topic = cdc.topics[stream.table]!;
      lines.push(`  ${connector} --> ${id('topic', stream.table)}{{"Kafka ${topic}"}}`);
      if (clickhouse) {
        const db = clickhouse.database;
        lines.push(
          `  ${id('topic', stream.table)} -->|Kafka engine ${db}.${stream.table}_queue| ${id('mv', stream.table)}[/"${db}.${stream.table}_mv"/]`,
          `  ${id('mv', stream.table)} --> ${id('ch', stream.table)}[("ClickHouse ${db}.${stream.table}<br/>ReplacingMergeTree(version, is_deleted)")]`,
        );
      }
    }
  }
  return `${lines.join('\n')}\n`;
}
