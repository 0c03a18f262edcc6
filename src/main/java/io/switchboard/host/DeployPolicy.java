package io.switchboard.host;

import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What a {@link ServiceHost} deploys when asked at run time (the admin API, or any command on its
 * address): only compiled verticle classes that are, or extend, one of {@code allowedVerticles}.
 * Never a source file ({@code .java}, {@code .js}, {@code .groovy}, ... which Vert.x would compile
 * and run), never a {@code prefix:} verticle factory name, and never the gateway, the TCP bridge
 * or a service host unless the list names that exact class.
 */
final class DeployPolicy {

  /** Verticles that open ports or deploy more: allowed only when listed by their exact name. */
  static final Set<String> LISTED_ONLY = Set.of(
    "io.switchboard.gateway.GatewayVerticle",
    "io.switchboard.bridge.TcpBridgeVerticle",
    ServiceHost.class.getName());

  private static final Pattern CLASS_NAME = Pattern.compile(
    "(\\p{javaJavaIdentifierStart}\\p{javaJavaIdentifierPart}*\\.)*\\p{javaJavaIdentifierStart}\\p{javaJavaIdentifierPart}*");
  private static final Set<String> SOURCE_SUFFIXES = Set.of(
    "java", "js", "mjs", "cjs", "ts", "groovy", "kt", "kts", "rb", "py", "scala", "class", "jar", "zip", "json");

  /** A refused deploy: the failure code the host answers with, and a one-line reason. */
  record Refusal(int code, String reason) {
  }

  private final List<String> allowed;
  private final ClassLoader loader;

  DeployPolicy(List<String> allowed, ClassLoader loader) {
    this.allowed = List.copyOf(allowed);
    this.loader = loader;
  }

  /** Whether {@code name} is a class this loader finds. */
  static boolean isClass(String name, ClassLoader loader) {
    try {
      Class.forName(name, false, loader);
      return true;
    } catch (ClassNotFoundException | LinkageError e) {
      return false;
    }
  }

  /** {@code null} when {@code verticle} may be deployed, else why not. */
  Refusal check(String verticle) {
    if (!CLASS_NAME.matcher(verticle).matches()) {
      return forbidden(verticle, "only compiled verticle classes are deployed (no verticle factory prefix, no path)");
    }
    String suffix = verticle.substring(verticle.lastIndexOf('.') + 1);
    if (SOURCE_SUFFIXES.contains(suffix)) {
      return forbidden(verticle, "source and script files are never deployed");
    }
    Class<?> type;
    try {
      type = Class.forName(verticle, false, loader);
    } catch (ClassNotFoundException | LinkageError e) {
      return new Refusal(ServiceHost.FAILURE_BAD_REQUEST, verticle + ": no such verticle class");
    }
    if (allowed.contains(verticle)) {
      return null;
    }
    for (Class<?> c = type; c != null; c = c.getSuperclass()) {
      if (LISTED_ONLY.contains(c.getName())) {
        return forbidden(verticle, "it is deployed only when allowedVerticles names it");
      }
    }
    for (String name : allowed) {
      try {
        if (Class.forName(name, false, loader).isAssignableFrom(type)) {
          return null;
        }
      } catch (ClassNotFoundException | LinkageError e) {
        // checked when the host started: cannot happen
      }
    }
    return forbidden(verticle, "not in this service host's allowedVerticles " + allowed);
  }

  private static Refusal forbidden(String verticle, String why) {
    return new Refusal(ServiceHost.FAILURE_FORBIDDEN, verticle + " may not be deployed here: " + why);
  }
}
