import java.io.BufferedReader;
import java.io.InputStreamReader;

/**
 * Reads one `kafka-storage` argv per line (arguments separated by TAB) and
 * prints what Kafka's own parser makes of it: `OK<TAB>cluster id` or
 * `ERROR<TAB>message`. One JVM for many argvs (test/platform/generated-values.test.ts).
 */
public class ParseStorageArgs {
  public static void main(String[] unused) throws Exception {
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
    for (String line; (line = in.readLine()) != null; ) {
      try {
        String id = kafka.tools.StorageTool.parseArguments(line.split("\t", -1)).getString("cluster_id");
        System.out.println("OK\t" + id);
      } catch (Throwable e) {
        System.out.println("ERROR\t" + String.valueOf(e.getMessage()).replace('\n', ' '));
      }
    }
  }
}
