package io.switchboard.gateway.impl;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

@DisplayName("The origin policy")
class OriginPolicyTest {

  @Test
  @DisplayName("matches scheme, host and port as parsed, never as text")
  void parsedNotText() {
    OriginPolicy policy = new OriginPolicy(List.of("http://localhost:*", "https://example.com"), false);
    assertTrue(policy.allows("http://localhost:3000"));
    assertTrue(policy.allows("http://localhost"));
    assertTrue(policy.allows("HTTP://LOCALHOST:8080"), "scheme and host are case-insensitive");
    assertTrue(policy.allows("https://example.com"));
    assertTrue(policy.allows("https://example.com:443"), "the scheme's default port is the port");
    assertFalse(policy.allows("https://example.com:8443"), "no port in the pattern: only the default");
    assertFalse(policy.allows("http://example.com"), "another scheme");
    assertFalse(policy.allows("http://localhost:80.evil.example"), "not a port");
    assertFalse(policy.allows("http://localhost:80@evil.example"), "user info: the host is evil.example");
    assertFalse(policy.allows("https://example.com/path"), "an origin has no path");
    assertFalse(policy.allows("https://example.com.evil.example"));
    assertFalse(policy.allows("not an origin"));
  }

  @Test
  @DisplayName("lets a * label stand for one DNS label only")
  void wildcardLabel() {
    OriginPolicy policy = new OriginPolicy(List.of("https://*.example.com"), false);
    assertTrue(policy.allows("https://app.example.com"));
    assertFalse(policy.allows("https://a.b.example.com"), "two labels");
    assertFalse(policy.allows("https://example.com"), "no label");
    assertFalse(policy.allows("https://evil.example.com.evil.example"));
  }

  @Test
  @DisplayName("allows any origin with *, and a missing Origin only when told to")
  void anyAndMissing() {
    assertTrue(new OriginPolicy(List.of("*"), false).allows("https://anything.example:1234"));
    assertFalse(new OriginPolicy(List.of("*"), false).allows(null));
    assertTrue(new OriginPolicy(List.of(), true).allows(null));
    assertFalse(new OriginPolicy(List.of(), true).allows("https://example.com"), "no pattern allows nothing");
  }

  @Test
  @DisplayName("says which allowedOrigins entries are valid, for the config check")
  void validPatterns() {
    assertTrue(OriginPolicy.isValidPattern("*"));
    assertTrue(OriginPolicy.isValidPattern("https://*.example.com:8443"));
    assertTrue(OriginPolicy.isValidPattern("http://[::1]:*"));
    assertFalse(OriginPolicy.isValidPattern("example.com"), "no scheme");
    assertFalse(OriginPolicy.isValidPattern("https://user@example.com"));
    assertFalse(OriginPolicy.isValidPattern("https://example.com/path"));
    assertFalse(OriginPolicy.isValidPattern("https://example.com:port"));
  }
}
