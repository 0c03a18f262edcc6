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
 * bridge, and one veth pair per host from the bridge to the host. Host 1 is the test's own
 * network namespace (its JVM reaches the gateway there over loopback); hosts 2..n are namespaces
 * of their own, and a program runs in one with {@code ip netns exec}. Addresses are
 * {@code 10.231.X.i/24} with X random; nothing is routed out of these namespaces, so the traffic
 * never leaves them. A host is cut off by taking its bridge port down, and delay is added with
 * {@code tc netem} on the bridge ports.
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

  private NetnsHosts(int hosts) {
    String id = Integer.toHexString(ThreadLocalRandom.current().nextInt(0x100000, 0xffffff));
    this.prefix = "sbt-" + id;
    this.subnet = "10.231." + ThreadLocalRandom.current().nextInt(1, 255);
    this.hosts = hosts;
    this.hostOneLink = "sbt" + id + "h1"; // at most 15 characters: an interface name
  }

  /** Why namespace hosts cannot be made here (not root, no {@code ip netns}), or null when they can. */
  public static String unavailableReason() {
    try {
      String uid = run(List.of("id", "-u")).trim();
      if (!uid.equals("0")) {
        return "needs root to create network namespaces (uid " + uid + ")";
      }
      run(List.of("ip", "netns", "list"));
      run(List.of("ip", "link", "show", "lo"));
      return null;
    } catch (RuntimeException e) {
      return "ip netns is not available: " + e.getMessage();
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
    // host 1: this namespace
    run(List.of("ip", "link", "add", hostOneLink, "type", "veth", "peer", "name", port(1), "netns", sw));
    run(List.of("ip", "addr", "add", address(1) + "/24", "dev", hostOneLink));
    run(List.of("ip", "link", "set", hostOneLink, "up"));
    ip(sw, "link", "set", port(1), "master", "br0", "up");
    for (int i = 2; i <= hosts; i++) {
      String ns = namespace(i);
      run(List.of("ip", "netns", "add", ns));
      ip(ns, "link", "set", "lo", "up");
      ip(sw, "link", "add", port(i), "type", "veth", "peer", "name", "eth0", "netns", ns);
      ip(sw, "link", "set", port(i), "master", "br0", "up");
      ip(ns, "addr", "add", address(i) + "/24", "dev", "eth0");
      ip(ns, "link", "set", "eth0", "up");
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

  /** Adds {@code ms} of delay to every frame the bridge sends to a host: {@code ms} one way between any two hosts. */
  public void delay(int ms) {
    for (int i = 1; i <= hosts; i++) {
      run(List.of("tc", "-n", switchNs(), "qdisc", "replace", "dev", port(i), "root", "netem", "delay", ms + "ms"));
    }
  }

  /** Removes the delay. */
  public void noDelay() {
    for (int i = 1; i <= hosts; i++) {
      run(List.of("tc", "-n", switchNs(), "qdisc", "del", "dev", port(i), "root"));
    }
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
    for (int i = 2; i <= hosts; i++) {
      quietly(List.of("ip", "netns", "del", namespace(i)));
    }
    quietly(List.of("ip", "netns", "del", switchNs())); // takes the bridge ports, and so host 1's link
    quietly(List.of("ip", "link", "del", hostOneLink));
  }

  private String switchNs() {
    return prefix + "-sw";
  }

  private static String port(int host) {
    return "p" + host;
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
