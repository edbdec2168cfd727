/**
 * Arguments of `kafka-storage format` for one node, used by the container
 * command (Docker and AWS) and by the lab. The cluster ID is attached to its
 * option (`--cluster-id=ID`): a generated ID begins with '-' 1 time in 64
 * (generated-ids.ts), and the tool's argparse reads `--cluster-id -fX0…` as an
 * option with no value. Kafka 4.3.1 formats with the attached form, and a broker
 * then serves on such an ID (test/lab/kafka-cluster-id.lab.test.ts).
 *
 * @param clusterId put after `=` as it is: the ID, or a quoted shell expansion
 *   (`"$CLUSTER_ID"`) where a shell runs the command
 */
export function storageFormatArgs(clusterId: string, configPath: string): string[] {
  return ['format', '--ignore-formatted', `--cluster-id=${clusterId}`, '--config', configPath];
}
