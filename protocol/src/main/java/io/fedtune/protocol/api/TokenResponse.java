package io.fedtune.protocol.api;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * The OAuth2 token response (RFC 6749 §5.1) of {@code POST /oauth2/token}.
 *
 * @param accessToken the signed JWT
 * @param tokenType always {@code Bearer}
 * @param expiresIn its lifetime in seconds
 * @param scope the roles it carries, space-separated
 */
public record TokenResponse(
        @JsonProperty("access_token") String accessToken,
        @JsonProperty("token_type") String tokenType,
        @JsonProperty("expires_in") long expiresIn,
        @JsonProperty("scope") String scope) {}
