from connector import schema

CATALOGUE = {
    "discoveryRequest", "discoveryResponse", "stateRefreshRequest", "stateRefreshResponse",
    "commandRequest", "commandResponse", "grantCallbackAccess", "accessTokenRequest",
    "accessTokenResponse", "refreshAccessTokens", "stateCallback", "discoveryCallback",
    "integrationDeleted", "interactionResult",
}


def test_interaction_types_are_the_fourteen_of_the_catalogue():
    assert isinstance(schema.INTERACTION_TYPES, frozenset)
    assert schema.INTERACTION_TYPES == CATALOGUE


def test_response_type_maps_each_inbound_request_to_its_answer():
    assert schema.RESPONSE_TYPE == {
        "discoveryRequest": "discoveryResponse",
        "stateRefreshRequest": "stateRefreshResponse",
        "commandRequest": "commandResponse",
        "grantCallbackAccess": "grantCallbackAccess",
        "integrationDeleted": "integrationDeleted",
        "interactionResult": "interactionResult",
    }


def test_schema_and_version_are_the_only_ones_in_use():
    assert (schema.SCHEMA, schema.VERSION) == ("st-schema", "1.0")
