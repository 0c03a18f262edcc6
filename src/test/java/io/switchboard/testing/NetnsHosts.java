package io.switchboard.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Hosts on one private network, made of Linux network namespaces: a switch namespace holding a
 * bridge, and one link per host from the bridge to the host. Host 1 is the test's own network
 * namespace (its JVM reaches the gateway there over loopback); hosts 2..n are namespaces of their
 * own, and a program runs in one with {@code ip netns exec}. Addresses are {@code 10.231.X.i/24}
 * with X random; nothing is routed out of these namespaces, so the traffic never leaves them. A
 * host is cut off by taking its bridge port down.
 *
 * <p>Each link is a pair of TAP devices joined by a small relay ({@link #RELAY}, python3, in the
 * switch namespace): one end on the bridge, the other moved to the host. The relay can hold every
 * frame for a while, which adds delay to the link; it stands in for {@code tc netem}, which not
 * every kernel has (this machine's has none).
 *
 * <p>Needs root and {@code ip netns} ({@link #unavailableReason()}). {@link #close()} deletes
 * every namespace and link it made (the processes in them must be stopped first); a shutdown hook
 * does it too if the test JVM ends without it.
 */
public final class NetnsHosts implements AutoCloseable {

  private final String prefix;
  private final String subnet;
  private final int hosts;
  private final String hostOneLink;
  private final Thread cleanup = new Thread(this::deleteAll, "netns-cleanup");
  private boolean closed;
  private Process relay;
  private java.io.Writer relayControl;
  private final List<String> relayOutput = new java.util.concurrent.CopyOnWriteArrayList<>();

  /**
   * Joins pairs of TAP devices (argv: a1 b1 a2 b2 ..., pair i is host i's link), forwarding every
   * frame from one to the other; "delay MS" on stdin holds each frame MS ms (in order), "delay MS
   * I J" only on the links of hosts I and J; EOF ends it (and its devices).
   */
  static final String RELAY = """
import fcntl, heapq, os, select, struct, sys, time
TUNSETIFF = 0x400454ca
IFF_TAP, IFF_NO_PI = 0x0002, 0x1000
def tap(name):
    fd = os.open('/dev/net/tun', os.O_RDWR | os.O_NONBLOCK)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack('16sH', name.encode(), IFF_TAP | IFF_NO_PI))
    return fd
fds = [tap(n) for n in sys.argv[1:]]
peer, link = {}, {}
for i in range(0, len(fds), 2):
    peer[fds[i]], peer[fds[i + 1]] = fds[i + 1], fds[i]
    link[fds[i]] = link[fds[i + 1]] = i // 2 + 1
delay = {fd: 0.0 for fd in fds}        # per sending end: how long its frames are held
last_due = {fd: 0.0 for fd in fds}     # per receiving end: frames leave in order
queued = {fd: 0 for fd in fds}
stdin = sys.stdin.fileno()
os.set_blocking(stdin, False)
queue, seq, pending = [], 0, b''
print('ready', flush=True)
def send(fd, frame):
    try:
        os.write(fd, frame)
    except OSError:
        pass  # the other side is down: the frame is lost, as on a wire
while True:
    timeout = max(0.0, queue[0][0] - time.monotonic()) if queue else None
    readable, _, _ = select.select(list(peer) + [stdin], [], [], timeout)
    for fd in readable:
        if fd == stdin:
            data = os.read(stdin, 4096)
            if not data:
                sys.exit(0)
            pending += data
            while b'\\n' in pending:
                line, pending = pending.split(b'\\n', 1)
                words = line.decode().split()
                if len(words) >= 2 and words[0] == 'delay':
                    links = [int(w) for w in words[2:]]
                    for f in fds:
                        if not links or link[f] in links:
                            delay[f] = int(words[1]) / 1000.0
                    print(line.decode(), 'done', flush=True)
            continue
        while True:
            try:
                frame = os.read(fd, 65536)
            except BlockingIOError:
                break
            out = peer[fd]
            if delay[fd] == 0 and queued[out] == 0:
                send(out, frame)
            else:
                last_due[out] = max(last_due[out], time.monotonic() + delay[fd])
                heapq.heappush(queue, (last_due[out], seq, out, frame))
                queued[out] += 1
                seq += 1
    now = time.monotonic()
    while queue and queue[0][0] <= now:
        _, _, out, frame = heapq.heappop(queue)
        queued[out] -= 1
        send(out, frame)
      """;

  private NetnsHosts(int hosts) {
    String id = Integer.toHexString(ThreadLocalRandom.current().nextInt(0x100000, 0xffffff));
    this.prefix = "sbt-" + id;
    this.subnet = unusedSubnet();
    this.hosts = hosts;
    this.hostOneLink = "sbt" + id + "h1"; // at most 15 characters: an interface name
  }

  /**
   * A 10.231.X prefix that no address or route of this namespace uses yet, so the hosts' network
   * never shadows a real one (host 1's link lives in this namespace).
   */
  private static String unusedSubnet() {
    String inUse = run(List.of("ip", "-o", "addr", "show")) + run(List.of("ip", "route", "show", "table", "all"));
    for (int attempt = 0; attempt < 50; attempt++) {
      String subnet = "10.231." + ThreadLocalRandom.current().nextInt(1, 255);
      if (!inUse.contains(subnet + ".")) {
        return subnet;
      }
    }
    throw new IllegalStateException("no free 10.231.X.0/24 here: " + inUse);
  }

  /**
   * Why namespace hosts cannot be made here (not root, no {@code ip netns}, no TAP devices or
   * python3 for the links), or null when they can.
   */
  public static String unavailableReason() {
    try {
      String uid = run(List.of("id", "-u")).trim();
      if (!uid.equals("0")) {
        return "needs root to create network namespaces (uid " + uid + ")";
      }
      run(List.of("ip", "netns", "list"));
      run(List.of("ip", "link", "show", "lo"));
      if (!java.nio.file.Files.exists(Path.of("/dev/net/tun"))) {
        return "no /dev/net/tun for the links' TAP devices";
      }
      run(List.of("python3", "--version"));
      return null;
    } catch (RuntimeException e) {
      return "ip netns (or python3) is not available: " + e.getMessage();
    }
  }

  /** Makes {@code hosts} hosts on one bridge; host 1 is this namespace. */
  public static NetnsHosts create(int hosts) {
    NetnsHosts net = new NetnsHosts(hosts);
    Runtime.getRuntime().addShutdownHook(net.cleanup);
    try {
      net.build();
    } catch (RuntimeException e) {
      net.close();
      throw e;
    }
    return net;
  }

  private void build() {
    String sw = switchNs();
    run(List.of("ip", "netns", "add", sw));
    ip(sw, "link", "set", "lo", "up");
    ip(sw, "link", "add", "br0", "type", "bridge");
    ip(sw, "link", "set", "br0", "up");
    startRelay(sw);
    for (int i = 1; i <= hosts; i++) {
      String ns = i == 1 ? null : namespace(i);
      String link = i == 1 ? hostOneLink : "eth0";
      if (ns != null) {
        run(List.of("ip", "netns", "add", ns));
        ip(ns, "link", "set", "lo", "up");
      }
      ip(sw, "link", "set", port(i), "master", "br0", "up");
      // the host's end moves to the host: by pid for this namespace (host 1), by name for the others
      ip(sw, "link", "set", hostEnd(i), "netns", ns == null ? String.valueOf(ProcessHandle.current().pid()) : ns);
      if (ns == null) {
        run(List.of("ip", "addr", "add", address(i) + "/24", "dev", link));
        run(List.of("ip", "link", "set", link, "up"));
      } else {
        ip(ns, "link", "set", hostEnd(i), "name", link);
        ip(ns, "addr", "add", address(i) + "/24", "dev", link);
        ip(ns, "link", "set", link, "up");
      }
    }
  }

  private void startRelay(String sw) {
    List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", sw, "python3", "-c", RELAY));
    for (int i = 1; i <= hosts; i++) {
      cmd.add(hostEnd(i));
      cmd.add(port(i));
    }
    try {
      relay = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    } catch (IOException e) {
      throw new IllegalStateException("cannot start the link relay (python3): " + e.getMessage(), e);
    }
    relayControl = new java.io.OutputStreamWriter(relay.getOutputStream(), StandardCharsets.UTF_8);
    Thread reader = new Thread(() -> {
      try (var in = new java.io.BufferedReader(new java.io.InputStreamReader(relay.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = in.readLine()) != null) {
          relayOutput.add(line);
        }
      } catch (IOException ignored) {
        // the relay ended
      }
    }, "netns-relay-output");
    reader.setDaemon(true);
    reader.start();
    awaitRelay("ready");
  }

  private void awaitRelay(String line) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!relayOutput.contains(line)) {
      if (!relay.isAlive() || System.nanoTime() > deadline) {
        throw new IllegalStateException("the link relay did not say \"" + line + "\" within 10 s: " + relayOutput);
      }
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted", e);
      }
    }
  }

  /** Host i's address (1-based). */
  public String address(int host) {
    return subnet + "." + host;
  }

  /** Every host's address, comma-separated: a Hazelcast member list. */
  public String members() {
    List<String> all = new ArrayList<>();
    for (int i = 1; i <= hosts; i++) {
      all.add(address(i));
    }
    return String.join(",", all);
  }

  /** Host i's namespace name; null for host 1 (this namespace). */
  public String namespace(int host) {
    return host == 1 ? null : prefix + "-h" + host;
  }

  /** The command that runs {@code command} on host i. */
  public List<String> on(int host, List<String> command) {
    List<String> all = new ArrayList<>();
    if (host != 1) {
      all.addAll(List.of("ip", "netns", "exec", namespace(host)));
    }
    all.addAll(command);
    return all;
  }

  /** Cuts host i off the network: its bridge port goes down (its own link stays up). */
  public void cut(int host) {
    ip(switchNs(), "link", "set", port(host), "down");
  }

  /** Reconnects host i. */
  public void heal(int host) {
    ip(switchNs(), "link", "set", port(host), "up");
  }

  /**
   * Adds {@code ms} of delay one way between any two hosts: each host's link holds every frame
   * {@code ms / 2} ms, in both directions (so a round trip between two hosts takes {@code 2 * ms} more).
   */
  public void delay(int ms) {
    relay("delay " + (ms / 2));
  }

  /** Holds every frame on host i's link {@code ms} ms, both ways: a round trip to host i takes {@code 2 * ms} more. */
  public void delayLink(int host, int ms) {
    relay("delay " + ms + " " + host);
  }

  private void relay(String command) {
    try {
      relayControl.write(command + "\n");
      relayControl.flush();
    } catch (IOException e) {
      throw new IllegalStateException("the link relay is gone: " + e.getMessage(), e);
    }
    awaitRelay(command + " done");
    relayOutput.clear();
  }

  /** Removes the delay. */
  public void noDelay() {
    delay(0);
  }

  /** Deletes the namespaces and links. Stop the processes running in them first. */
  @Override
  public void close() {
    deleteAll();
    try {
      Runtime.getRuntime().removeShutdownHook(cleanup);
    } catch (IllegalStateException shuttingDown) {
      // the hook is running or ran
    }
  }

  private synchronized void deleteAll() {
    if (closed) {
      return;
    }
    closed = true;
    if (relay != null) {
      relay.destroy(); // its TAP devices go with it
      try {
        relay.waitFor(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    for (int i = 2; i <= hosts; i++) {
      quietly(List.of("ip", "netns", "del", namespace(i)));
    }
    quietly(List.of("ip", "netns", "del", switchNs()));
    quietly(List.of("ip", "link", "del", hostOneLink));
  }

  private String switchNs() {
    return prefix + "-sw";
  }

  /** Host i's link: its end on the bridge. */
  private static String port(int host) {
    return "p" + host;
  }

  /** Host i's link: its end on the host, while still in the switch namespace. */
  private String hostEnd(int host) {
    return host == 1 ? hostOneLink : "h" + host;
  }

  private static void ip(String ns, String... args) {
    List<String> cmd = new ArrayList<>(List.of("ip", "-n", ns));
    cmd.addAll(List.of(args));
    run(cmd);
  }

  private static void quietly(List<String> command) {
    try {
      run(command);
    } catch (RuntimeException ignored) {
      // already gone
    }
  }

  /** Runs a command (at most 10 s); returns its output, or throws with it when it fails. */
  private static String run(List<String> command) {
    try {
      Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
      byte[] out = p.getInputStream().readAllBytes();
      if (!p.waitFor(10, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IllegalStateException(String.join(" ", command) + " did not finish within 10 s");
      }
      String text = new String(out, StandardCharsets.UTF_8);
      if (p.exitValue() != 0) {
        throw new IllegalStateException(String.join(" ", command) + " failed (" + p.exitValue() + "): " + text.trim());
      }
      return text;
    } catch (IOException e) {
      throw new IllegalStateException(String.join(" ", command) + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(String.join(" ", command) + " interrupted", e);
    }
  }

  /** The JVM command of {@link JvmProcess#launch} with these flags, for {@link JvmProcess#start} on a host. */
  public static List<String> launcherCommand(String name, List<String> jvmArgs, String... launcherArgs) {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Xmx256m");
    cmd.add("-XX:TieredStopAtLevel=1");
    cmd.add("-Dhazelcast.logging.type=jdk");
    cmd.add("-Dvertx.cacheDirBase=target/.vertx-" + name);
    cmd.addAll(jvmArgs);
    cmd.add("-cp");
    String cp = System.getProperty("surefire.test.class.path");
    cmd.add("conf" + java.io.File.pathSeparator + (cp != null && !cp.isBlank() ? cp : System.getProperty("java.class.path")));
    cmd.add("io.switchboard.launcher.SwitchboardLauncher");
    cmd.addAll(List.of(launcherArgs));
    return cmd;
  }

  /** Environment for {@link JvmProcess#start}: what {@link JvmProcess#launch} sets too. */
  public static Map<String, String> launcherEnv() {
    return Map.of("SWITCHBOARD_BRIDGE_PORT", "0");
  }
}
