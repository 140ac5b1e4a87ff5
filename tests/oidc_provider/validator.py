from oauth2_provider.oauth2_validators import OAuth2Validator


class Validator(OAuth2Validator):
    """The resident's birth date (the standard claim, scope profile) and OKTMO (scope openid)."""

    oidc_claim_scope = {**OAuth2Validator.oidc_claim_scope, "oktmo": "openid"}

    def get_additional_claims(self, request):  # type: ignore[no-untyped-def]
        from tests.oidc_provider.models import Resident

        found = Resident.objects.filter(user=request.user).first()
        if found is None:
            return {}
        claims = {"birthdate": found.birthdate, "oktmo": found.oktmo}
        return {name: value for name, value in claims.items() if value}
