package io.switchboard.testing;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The programs some tests need besides Java and Maven, checked up front so that a test that
 * cannot run fails with what to install, never passes silently (README, "Tests"):
 * <ul>
 *   <li>Chromium and chromedriver at {@code /usr/bin} (paths overridable with
 *   {@code -Dchromium.binary} / {@code -Dchromedriver.binary}), for the browser tests;</li>
 *   <li>{@code python3} 3.9 or newer on the PATH, for the Python SDK tests.</li>
 * </ul>
 */
public final class Prerequisites {

  /** What to run on Debian/Ubuntu when Chromium is missing. */
  public static final String CHROMIUM_INSTALL = "install chromium chromium-driver: apt-get install -y chromium chromium-driver";
  /** What to run on Debian/Ubuntu when Python is missing or too old. */
  public static final String PYTHON_INSTALL = "install Python 3.9 or newer: apt-get install -y python3";

  private Prerequisites() {
  }

  /** The Chromium binary; fails the test when it or chromedriver is missing. */
  public static String chromium() {
    String chromium = System.getProperty("chromium.binary", "/usr/bin/chromium");
    requireExecutable(chromium, CHROMIUM_INSTALL);
    return chromium;
  }

  /** The chromedriver binary; fails the test when it is missing. */
  public static String chromedriver() {
    String chromedriver = System.getProperty("chromedriver.binary", "/usr/bin/chromedriver");
    requireExecutable(chromedriver, CHROMIUM_INSTALL);
    return chromedriver;
  }

  /** Fails the test unless {@code python3 --version} says 3.9 or newer. */
  public static void python3() {
    String version;
    try {
      Process p = new ProcessBuilder("python3", "--version").redirectErrorStream(true).start();
      version = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new AssertionError("python3 --version did not answer within 30 s");
      }
    } catch (IOException e) {
      throw new AssertionError("python3 is not on the PATH; " + PYTHON_INSTALL, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
    Matcher m = Pattern.compile("Python (\\d+)\\.(\\d+)").matcher(version);
    if (!m.find() || Integer.parseInt(m.group(1)) < 3 || (Integer.parseInt(m.group(1)) == 3 && Integer.parseInt(m.group(2)) < 9)) {
      throw new AssertionError("python3 is \"" + version + "\", the tests need 3.9 or newer; " + PYTHON_INSTALL);
    }
  }

  private static void requireExecutable(String path, String install) {
    if (!new File(path).canExecute()) {
      throw new AssertionError(path + " is missing; " + install);
    }
  }
}
