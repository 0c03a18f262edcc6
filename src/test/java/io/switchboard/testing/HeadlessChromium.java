package io.switchboard.testing;

import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * A real headless Chromium for tests that drive a page directly (scripts, sizes, screenshots):
 * the system's {@code chromium} and {@code chromedriver} ({@link Prerequisites}), a fresh
 * temporary profile, nothing downloaded. {@link #close()} quits it and deletes the profile.
 */
public final class HeadlessChromium implements AutoCloseable {

  private final ChromeDriver driver;
  private final Path profile;

  private HeadlessChromium(ChromeDriver driver, Path profile) {
    this.driver = driver;
    this.profile = profile;
  }

  /** Starts Chromium with a window of this size. */
  public static HeadlessChromium start(int width, int height) {
    String chromium = Prerequisites.chromium();
    String chromedriver = Prerequisites.chromedriver();
    Path profile;
    try {
      profile = Files.createTempDirectory("switchboard-chromium-");
    } catch (IOException e) {
      throw new AssertionError(e);
    }
    ChromeOptions options = new ChromeOptions();
    options.setBinary(chromium);
    options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
      "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
      "--window-size=" + width + "," + height, "--user-data-dir=" + profile);
    ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(new File(chromedriver))
      .usingAnyFreePort().build();
    return new HeadlessChromium(new ChromeDriver(service, options), profile);
  }

  public ChromeDriver driver() {
    return driver;
  }

  @Override
  public void close() {
    try {
      driver.quit();
    } finally {
      try (Stream<Path> files = Files.walk(profile)) {
        files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
      } catch (IOException ignored) {
        // a temporary directory: the OS cleans up what is left
      }
    }
  }
}
