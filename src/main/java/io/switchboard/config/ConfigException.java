package io.switchboard.config;

/** A configuration value is missing, mistyped or unknown. The message names the key. */
public class ConfigException extends IllegalArgumentException {

  public ConfigException(String message) {
    super(message);
  }
}
