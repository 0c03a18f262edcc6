package io.switchboard.service;

import io.switchboard.config.ConfigException;
import io.switchboard.config.ConfigReader;

import java.util.regex.Pattern;

/**
 * The options every service reads from its {@code conf/*.json}:
 * <pre>{@code { "name": "chat" }}</pre>
 * {@code name} is the service's name, as gateway routes refer to it; it defaults to the
 * service class's {@link ServiceVerticle#defaultName()}. Keys of the service's own are read by
 * {@link ServiceVerticle#configure(ConfigReader)}.
 */
public final class ServiceOptions {

  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-]{1,64}");

  private final String name;

  ServiceOptions(ConfigReader conf, String defaultName) {
    String n = conf.string("name", defaultName);
    if (n == null) {
      throw new ConfigException("service config: \"name\" is required");
    }
    if (!NAME.matcher(n).matches()) {
      throw conf.fail("name", "must be 1 to 64 letters, digits, '_' or '-'", n);
    }
    this.name = n;
  }

  /** The service's name. */
  public String name() {
    return name;
  }
}
