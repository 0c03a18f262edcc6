package io.switchboard.conformance;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Counts the fuzzing client's verdicts in {@code target/autobahntestsuite-reports/index.json}
 * (cases, OK, NON-STRICT, INFORMATIONAL, FAILED...) and names every case that was not OK. The
 * plugin itself only lists failures; this prints the whole tally when the build ends. Only
 * {@code java.base} is used: it runs in a shutdown hook, after Maven has closed the project's
 * class loader.
 */
public final class AutobahnTally {

  static final Path INDEX = Path.of("target", "autobahntestsuite-reports", "index.json");
  private static final Pattern CASE = Pattern.compile("\"(\\d+(?:\\.\\d+)+)\"\\s*:\\s*\\{\\s*\"behavior\"\\s*:\\s*\"([A-Z_-]+)\"");

  private final Map<String, List<String>> byBehavior = new TreeMap<>();
  private int cases;

  /** Reads a report's index; an unreadable one gives an empty tally. */
  static AutobahnTally read(Path index) {
    AutobahnTally tally = new AutobahnTally();
    try {
      Matcher m = CASE.matcher(Files.readString(index));
      while (m.find()) {
        tally.cases++;
        tally.byBehavior.computeIfAbsent(m.group(2), k -> new ArrayList<>()).add(m.group(1));
      }
    } catch (IOException e) {
      // no report: nothing ran
    }
    return tally;
  }

  int cases() {
    return cases;
  }

  int count(String behavior) {
    return byBehavior.getOrDefault(behavior, List.of()).size();
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("Autobahn tally: ").append(cases).append(" cases");
    for (String b : List.of("OK", "NON-STRICT", "INFORMATIONAL", "FAILED")) {
      sb.append(", ").append(count(b)).append(' ').append(b);
    }
    byBehavior.forEach((b, ids) -> {
      if (!b.equals("OK")) {
        sb.append("\n  ").append(b).append(": ").append(String.join(" ", ids));
      }
    });
    return sb.toString();
  }

  public static void main(String[] args) {
    System.out.println(read(args.length > 0 ? Path.of(args[0]) : INDEX));
  }
}
