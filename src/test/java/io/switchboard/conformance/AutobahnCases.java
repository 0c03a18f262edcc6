package io.switchboard.conformance;

import java.io.IOException;
import java.io.InputStream;
import java.net.JarURLConnection;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Enumeration;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;

/**
 * Puts the permessage-deflate cases 12.* and 13.* into the fuzzing client. The plugin runs
 * Autobahn|Testsuite in Jython from its own jar (it reports Autobahn 0.5.6 / Testsuite 0.6.4),
 * and that bundle leaves out the compression cases, though its Autobahn library implements
 * permessage-deflate. This copies the bundle's {@code autobahntestsuite} package to
 * {@code target/autobahn/py}, adds upstream 0.6.1's {@code case12_x_x.py} (kept next to this
 * class; it defines 12.* and 13.*) and its registration lines, and points Jython's
 * {@code python.path} there, which comes before the jar on {@code sys.path}. Runs in the Maven JVM
 * before the plugin starts Jython (it waits for the server's port first).
 */
final class AutobahnCases {

  static final Path PY = AutobahnServer.WORK.resolve("py");
  private static final String PACKAGE = "autobahntestsuite/";
  private static final Path CASE12 = Path.of("src", "test", "java", "io", "switchboard", "conformance", "case12_x_x.py");

  private AutobahnCases() {
  }

  /** Installs the copy; on any failure the bundle runs as it is (without 12.*), and says so. */
  static void install() {
    try {
      URL init = AutobahnCases.class.getClassLoader().getResource(PACKAGE + "case/__init__.py");
      if (init == null || !(init.openConnection() instanceof JarURLConnection)) {
        System.out.println("Autobahn cases 12.*/13.*: the testsuite bundle was not found; running without them");
        return;
      }
      JarURLConnection conn = (JarURLConnection) init.openConnection();
      conn.setUseCaches(false);
      try (JarFile jar = conn.getJarFile()) {
        Enumeration<JarEntry> entries = jar.entries();
        while (entries.hasMoreElements()) {
          JarEntry e = entries.nextElement();
          if (!e.getName().startsWith(PACKAGE) || e.isDirectory()) {
            continue;
          }
          Path to = PY.resolve(e.getName());
          Files.createDirectories(to.getParent());
          try (InputStream in = jar.getInputStream(e)) {
            Files.copy(in, to, StandardCopyOption.REPLACE_EXISTING);
          }
        }
      }
      Path caseDir = PY.resolve(PACKAGE + "case");
      Files.copy(CASE12, caseDir.resolve("case12_x_x.py"), StandardCopyOption.REPLACE_EXISTING);
      Files.writeString(caseDir.resolve("__init__.py"), "\nfrom case12_x_x import *\n"
        + "Cases.extend(Case12_X_X)\nCaseSubCategories.update(Case12_X_X_CaseSubCategories)\n"
        + "Cases.extend(Case13_X_X)\nCaseSubCategories.update(Case13_X_X_CaseSubCategories)\n",
        StandardOpenOption.APPEND);
      System.setProperty("python.path", PY.toAbsolutePath().toString());
    } catch (IOException e) {
      System.out.println("Autobahn cases 12.*/13.*: could not install them (" + e + "); running without them");
    }
  }
}
