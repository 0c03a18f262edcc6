package io.switchboard.gateway.impl;

import io.vertx.core.buffer.Buffer;

/**
 * Checks UTF-8 as its bytes arrive, fragment by fragment, and fails at the first byte that
 * cannot be part of valid UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing above
 * U+10FFFF), so a text message broken across fragments is refused when the bad fragment
 * arrives, not at its end. Not thread-safe: one per session, on its event loop.
 */
final class Utf8Validator {

  /** Continuation bytes still expected for the current character. */
  private int needed;
  /** The range the next continuation byte must fall in (narrowed after E0, ED, F0, F4). */
  private int lower = 0x80;
  private int upper = 0xBF;

  /** Whether {@code data} is a whole message of valid UTF-8. */
  static boolean isValid(Buffer data) {
    Utf8Validator validator = new Utf8Validator();
    return validator.feed(data) && validator.atBoundary();
  }

  /** Starts a new message. */
  void reset() {
    needed = 0;
    lower = 0x80;
    upper = 0xBF;
  }

  /** Feeds the next bytes; {@code false} at the first invalid one (the validator is then spent). */
  boolean feed(Buffer data) {
    int n = data.length();
    for (int i = 0; i < n; i++) {
      int b = data.getByte(i) & 0xFF;
      if (needed == 0) {
        if (b < 0x80) {
          continue;
        }
        if (b >= 0xC2 && b <= 0xDF) {
          needed = 1;
        } else if (b >= 0xE0 && b <= 0xEF) {
          needed = 2;
          if (b == 0xE0) {
            lower = 0xA0; // no overlong 3-byte forms
          } else if (b == 0xED) {
            upper = 0x9F; // no surrogates U+D800..U+DFFF
          }
        } else if (b >= 0xF0 && b <= 0xF4) {
          needed = 3;
          if (b == 0xF0) {
            lower = 0x90; // no overlong 4-byte forms
          } else if (b == 0xF4) {
            upper = 0x8F; // nothing above U+10FFFF
          }
        } else {
          return false; // 80..C1 (continuation or overlong lead), F5..FF
        }
      } else {
        if (b < lower || b > upper) {
          return false;
        }
        lower = 0x80;
        upper = 0xBF;
        needed--;
      }
    }
    return true;
  }

  /** Whether the bytes so far end on a character boundary (required at the end of a message). */
  boolean atBoundary() {
    return needed == 0;
  }
}
