package io.switchboard.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The TCP sockets a process listens on, read from Linux's {@code /proc/net/tcp} and
 * {@code /proc/net/tcp6} and the process's {@code /proc/<pid>/fd} links (what {@code ss -ltnp} shows).
 */
public final class ListeningSockets {

  /** One listening socket: its local address and port. */
  public record Listener(InetAddress address, int port) {

    /** Whether only this host can reach it (127.0.0.0/8, ::1, or ::ffff:127.x). */
    public boolean loopbackOnly() {
      return address.isLoopbackAddress();
    }

    @Override
    public String toString() {
      return address.getHostAddress() + ":" + port;
    }
  }

  private ListeningSockets() {
  }

  /** The sockets process {@code pid} listens on. */
  public static List<Listener> of(long pid) {
    Set<String> inodes = socketInodes(pid);
    List<Listener> out = new ArrayList<>();
    for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
      List<String> lines;
      try {
        lines = Files.readAllLines(Path.of(table));
      } catch (IOException e) {
        continue; // no IPv6 in this kernel
      }
      for (String line : lines.subList(1, lines.size())) {
        String[] f = line.trim().split("\\s+");
        if (f.length > 9 && f[3].equals("0A") && inodes.contains(f[9])) { // 0A: LISTEN
          out.add(parse(f[1]));
        }
      }
    }
    return out;
  }

  private static Set<String> socketInodes(long pid) {
    Set<String> inodes = new HashSet<>();
    try (Stream<Path> fds = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
      fds.forEach(fd -> {
        try {
          String target = Files.readSymbolicLink(fd).toString();
          if (target.startsWith("socket:[")) {
            inodes.add(target.substring(8, target.length() - 1));
          }
        } catch (IOException ignored) {
          // the fd closed meanwhile
        }
      });
    } catch (IOException e) {
      throw new AssertionError("cannot read the sockets of process " + pid + ": " + e, e);
    }
    return inodes;
  }

  /** {@code 0100007F:1F90} (IPv4) or 32 hex digits (IPv6), each 32-bit word little-endian. */
  private static Listener parse(String hexAddress) {
    String[] parts = hexAddress.split(":");
    byte[] word = new byte[parts[0].length() / 2];
    for (int i = 0; i < word.length; i += 4) {
      for (int b = 0; b < 4; b++) {
        word[i + b] = (byte) Integer.parseInt(parts[0].substring((i + 3 - b) * 2, (i + 3 - b) * 2 + 2), 16);
      }
    }
    try {
      return new Listener(InetAddress.getByAddress(word), Integer.parseInt(parts[1], 16));
    } catch (UnknownHostException e) {
      throw new AssertionError(e);
    }
  }
}
