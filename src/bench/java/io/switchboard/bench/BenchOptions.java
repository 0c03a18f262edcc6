package io.switchboard.bench;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What {@code launcher/bench} was asked to do: the scenarios, full or {@code --quick}, and every
 * load figure, each with a {@code DEFAULT_*} (full run) and a {@code QUICK_*} (smoke run) value.
 *
 * <pre>launcher/bench echo|fanout|chat|idle|connect|runtime|presence|burst|resume|scale|all [--quick] [--rate N] [--connections N]
 *   [--duration S] [--rounds N] [--members N] [--big-members N] [--chat-big-members N] [--fanout-rate N] [--sockets N]
 *   [--handshakes N] [--scale-sockets N] [--rest S] [--transport nio|epoll|io_uring] [--out DIR] [--jfr]</pre>
 */
public final class BenchOptions {

  public static final List<String> SCENARIOS = List.of("idle", "echo", "fanout", "chat", "connect", "runtime", "presence", "burst", "resume", "scale");

  public static final int DEFAULT_RATE = 5_000;
  public static final int DEFAULT_CONNECTIONS = 200;
  public static final int DEFAULT_DURATION_S = 5;
  public static final int DEFAULT_WARMUP_S = 3;
  public static final int DEFAULT_ROUNDS = 2;
  public static final int DEFAULT_PAYLOAD_BYTES = 64;
  public static final int DEFAULT_MEMBERS = 1_000;
  public static final int DEFAULT_BIG_MEMBERS = 10_000;
  /** The chat's big room: its members cost about members² frames to join (the seed protocol's counts and newusers), so it has its own option. */
  public static final int DEFAULT_CHAT_BIG_MEMBERS = 3_000;
  public static final int DEFAULT_FANOUT_RATE = 20;
  public static final int DEFAULT_BIG_FANOUT_RATE = 5;
  public static final int DEFAULT_SOCKETS = 15_000;
  public static final int DEFAULT_HANDSHAKES = 5_000;
  public static final int DEFAULT_CONNECT_CONCURRENCY = 128;
  public static final int DEFAULT_RUNTIME_SESSIONS = 200;
  public static final int DEFAULT_KILL_WAIT_S = 6;
  /** scale: idle sockets per gateway JVM (three of them), each held by its own load-client process; under the 20 000 open files a process may have here. */
  public static final int DEFAULT_SCALE_SOCKETS = 18_000;
  /** scale: how long each measurement of the cluster at rest lasts: three whole keep-alive rounds of the gateway's default 25 s, so each window holds as many pings. */
  public static final int DEFAULT_REST_S = 75;

  public static final int QUICK_RATE = 1_000;
  public static final int QUICK_CONNECTIONS = 20;
  public static final int QUICK_DURATION_S = 1;
  public static final int QUICK_WARMUP_S = 1;
  public static final int QUICK_ROUNDS = 1;
  public static final int QUICK_MEMBERS = 100;
  public static final int QUICK_BIG_MEMBERS = 200;
  public static final int QUICK_CHAT_BIG_MEMBERS = 200;
  public static final int QUICK_SOCKETS = 300;
  public static final int QUICK_HANDSHAKES = 200;
  public static final int QUICK_RUNTIME_SESSIONS = 10;
  /** The same as the full run's: losing an instance takes ~2 s to notice whatever the size (4 missed 500 ms beats). */
  public static final int QUICK_KILL_WAIT_S = DEFAULT_KILL_WAIT_S;
  public static final int QUICK_SCALE_SOCKETS = 90;
  public static final int QUICK_REST_S = 5;

  final List<String> scenarios = new ArrayList<>();
  boolean quick;
  int rate;
  int connections;
  int durationS;
  int warmupS;
  int rounds;
  int payloadBytes = DEFAULT_PAYLOAD_BYTES;
  int members;
  int bigMembers;
  int chatBigMembers;
  int fanoutRate = DEFAULT_FANOUT_RATE;
  int bigFanoutRate = DEFAULT_BIG_FANOUT_RATE;
  int sockets;
  int handshakes;
  int connectConcurrency = DEFAULT_CONNECT_CONCURRENCY;
  int runtimeSessions;
  int killWaitS;
  int scaleSockets;
  int restS;
  boolean jfr;
  /** The servers' transport (nio, epoll, io_uring): {@code SWITCHBOARD_TRANSPORT} of every server JVM; null = the launcher's default. */
  String transport;
  Path out;
  String commandLine;

  /** Parses the command line; throws {@link IllegalArgumentException} with a one-line message. */
  public static BenchOptions parse(String... args) {
    BenchOptions o = new BenchOptions();
    o.commandLine = "launcher/bench " + String.join(" ", args);
    o.quick = List.of(args).contains("--quick");
    o.rate = o.quick ? QUICK_RATE : DEFAULT_RATE;
    o.connections = o.quick ? QUICK_CONNECTIONS : DEFAULT_CONNECTIONS;
    o.durationS = o.quick ? QUICK_DURATION_S : DEFAULT_DURATION_S;
    o.warmupS = o.quick ? QUICK_WARMUP_S : DEFAULT_WARMUP_S;
    o.rounds = o.quick ? QUICK_ROUNDS : DEFAULT_ROUNDS;
    o.members = o.quick ? QUICK_MEMBERS : DEFAULT_MEMBERS;
    o.bigMembers = o.quick ? QUICK_BIG_MEMBERS : DEFAULT_BIG_MEMBERS;
    o.chatBigMembers = o.quick ? QUICK_CHAT_BIG_MEMBERS : DEFAULT_CHAT_BIG_MEMBERS;
    o.sockets = o.quick ? QUICK_SOCKETS : DEFAULT_SOCKETS;
    o.handshakes = o.quick ? QUICK_HANDSHAKES : DEFAULT_HANDSHAKES;
    o.runtimeSessions = o.quick ? QUICK_RUNTIME_SESSIONS : DEFAULT_RUNTIME_SESSIONS;
    o.killWaitS = o.quick ? QUICK_KILL_WAIT_S : DEFAULT_KILL_WAIT_S;
    o.scaleSockets = o.quick ? QUICK_SCALE_SOCKETS : DEFAULT_SCALE_SOCKETS;
    o.restS = o.quick ? QUICK_REST_S : DEFAULT_REST_S;
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      switch (a) {
        case "--quick" -> { }
        case "--jfr" -> o.jfr = true;
        case "--rate" -> o.rate = positive(a, args, ++i);
        case "--connections" -> o.connections = positive(a, args, ++i);
        case "--duration" -> o.durationS = positive(a, args, ++i);
        case "--warmup" -> o.warmupS = positive(a, args, ++i);
        case "--rounds" -> o.rounds = positive(a, args, ++i);
        case "--payload" -> o.payloadBytes = positive(a, args, ++i);
        case "--members" -> o.members = positive(a, args, ++i);
        case "--big-members" -> o.bigMembers = positive(a, args, ++i);
        case "--chat-big-members" -> o.chatBigMembers = positive(a, args, ++i);
        case "--fanout-rate" -> o.fanoutRate = positive(a, args, ++i);
        case "--sockets" -> o.sockets = positive(a, args, ++i);
        case "--handshakes" -> o.handshakes = positive(a, args, ++i);
        case "--scale-sockets" -> o.scaleSockets = positive(a, args, ++i);
        case "--rest" -> o.restS = positive(a, args, ++i);
        case "--transport" -> o.transport = transport(a, args, ++i);
        case "--out" -> o.out = Path.of(value(a, args, ++i));
        case "all" -> o.scenarios.addAll(SCENARIOS);
        default -> {
          if (!SCENARIOS.contains(a)) {
            throw new IllegalArgumentException("unknown scenario or option \"" + a + "\" (scenarios: "
              + String.join(", ", SCENARIOS) + ", all; options: --quick --rate --connections --duration --warmup"
              + " --rounds --payload --members --big-members --chat-big-members --fanout-rate --sockets --handshakes --scale-sockets --rest --transport --out --jfr)");
          }
          o.scenarios.add(a);
        }
      }
    }
    if (o.scenarios.isEmpty()) {
      throw new IllegalArgumentException("usage: launcher/bench echo|fanout|chat|idle|connect|runtime|presence|burst|resume|scale|all [--quick] [options]");
    }
    return o;
  }

  /** Whether a scenario was asked for. */
  boolean runs(String scenario) {
    return scenarios.contains(scenario);
  }

  private static String transport(String name, String[] args, int i) {
    String v = value(name, args, i);
    if (!List.of("nio", "epoll", "io_uring").contains(v)) {
      throw new IllegalArgumentException(name + " must be nio, epoll or io_uring, not " + v);
    }
    return v;
  }

  private static String value(String name, String[] args, int i) {
    if (i >= args.length) {
      throw new IllegalArgumentException(name + " needs a value");
    }
    return args[i];
  }

  private static int positive(String name, String[] args, int i) {
    String v = value(name, args, i);
    try {
      int n = Integer.parseInt(v);
      if (n > 0) {
        return n;
      }
    } catch (NumberFormatException ignored) {
      // below
    }
    throw new IllegalArgumentException(name + " must be a positive whole number, not \"" + v + "\"");
  }
}
