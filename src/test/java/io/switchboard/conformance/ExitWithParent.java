package io.switchboard.conformance;

import io.switchboard.launcher.SwitchboardLauncher;

import java.io.IOException;

/**
 * Runs {@link SwitchboardLauncher} in a child JVM that ends when its parent does: it exits as
 * soon as its standard input (a pipe from the parent) closes, which happens even when the parent
 * is killed with {@code kill -9}. The Autobahn plugin never stops the server it starts, so the
 * gateway and echo JVMs must not outlive the Maven build.
 */
public final class ExitWithParent {

  private ExitWithParent() {
  }

  public static void main(String[] args) {
    Thread watch = new Thread(() -> {
      try {
        while (System.in.read() >= 0) {
          // nothing is ever written: wait for the end of the pipe
        }
      } catch (IOException ignored) {
        // a broken pipe ends the parent just the same
      }
      System.err.println("parent gone: exiting");
      Runtime.getRuntime().halt(0);
    }, "exit-with-parent");
    watch.setDaemon(true);
    watch.start();
    SwitchboardLauncher.main(args);
  }
}
