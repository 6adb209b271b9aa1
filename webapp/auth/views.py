"""Sign-in, two-factor, sign-out, password reset, invitations, and the account page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from authlib.integrations.base_client.errors import OAuthError
from flask import (
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required, login_user, logout_user
from joserfc.errors import JoseError
from requests import RequestException
from werkzeug.wrappers import Response

from webapp.auth import bp, services, twofactor
from webapp.auth import nhs_login as nhs_login_client
from webapp.auth.forms import (
    ChangePasswordForm,
    ForgotPasswordForm,
    NewPasswordForm,
    SecondFactorForm,
    SignInForm,
    TotpSetupForm,
)
from webapp.extensions import db, limiter
from webapp.models import TokenPurpose, User
from webapp.security import keeps_idle_clock, seconds_left, start_signed_in_session

PENDING_USER = "pending_sign_in"
PENDING_SINCE = "pending_sign_in_since"
PENDING_NEXT = "pending_next"
PENDING_FOR = timedelta(minutes=5)
BAD_SIGN_IN = (
    "Enter a correct email address and password. If you have tried several times, "
    "your account may be locked for a few minutes to keep it safe. A closed account cannot be "
    "signed in to: if you need support again, you can refer yourself."
)


def utcnow() -> datetime:
    return datetime.now(UTC)


def _sign_in_limit() -> str:
    return str(current_app.config["SIGN_IN_RATE_LIMIT"])


def _public_form_limit() -> str:
    return str(current_app.config["PUBLIC_FORM_RATE_LIMIT"])


def _safe_next(target: str | None) -> str | None:
    """Only same-site paths, so a sign-in link cannot send someone elsewhere."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def _complete_sign_in(user: User) -> str:
    """Start a fresh signed-in session; return where the person was going."""
    next_url = _safe_next(session.pop(PENDING_NEXT, None))
    session.clear()
    login_user(user)
    start_signed_in_session()
    return next_url or url_for("public.home_for_role")


def _pending_user() -> User | None:
    token, since = session.get(PENDING_USER), session.get(PENDING_SINCE, 0)
    if not token or utcnow().timestamp() - since > PENDING_FOR.total_seconds():
        return None
    return db.session.query(User).filter_by(session_token=token).one_or_none()


@bp.route("/sign-in", methods=["GET", "POST"])
@limiter.limit(_sign_in_limit, methods=["POST"])
def sign_in() -> Response | str:
    if current_user.is_authenticated:
        return redirect(url_for("public.home_for_role"))
    form = SignInForm()
    if form.validate_on_submit():
        result = services.check_password(
            form.email.data or "", form.password.data or "", now=utcnow()
        )
        if result.step is services.SignInStep.REFUSED or result.user is None:
            form.form_errors.append(BAD_SIGN_IN)
            return render_template("auth/sign_in.html", form=form), 200
        next_url = _safe_next(request.args.get("next"))
        if result.step is services.SignInStep.SIGNED_IN:
            session[PENDING_NEXT] = next_url
            return redirect(_complete_sign_in(result.user))
        session.clear()
        session[PENDING_USER] = result.user.session_token
        session[PENDING_SINCE] = utcnow().timestamp()
        session[PENDING_NEXT] = next_url
        if result.step is services.SignInStep.TWO_FACTOR_SETUP:
            return redirect(url_for("auth.set_up_two_factor"))
        return redirect(url_for("auth.second_factor"))
    return render_template("auth/sign_in.html", form=form)


@bp.route("/sign-in/nhs-login")
@limiter.limit(_sign_in_limit)
def nhs_login() -> Response:
    client = nhs_login_client.client()
    if client is None:
        abort(404)
    session[PENDING_NEXT] = _safe_next(request.args.get("next"))
    redirect_uri = url_for("auth.nhs_login_callback", _external=True)
    response: Response = client.authorize_redirect(redirect_uri)
    return response


@bp.route("/sign-in/nhs-login/callback")
@limiter.limit(_sign_in_limit)
def nhs_login_callback() -> Response:
    client = nhs_login_client.client()
    if client is None:
        abort(404)
    try:
        token = client.authorize_access_token()
    except (OAuthError, JoseError, RequestException, ValueError) as error:
        current_app.logger.warning("NHS login failed: %s", error)
        flash("We could not sign you in with NHS login. Try again, or sign in with your password.")
        return redirect(url_for("auth.sign_in"))
    user = nhs_login_client.patient_for_identity(dict(token.get("userinfo") or {}))
    if user is None:
        flash(
            "There is no account for your NHS login yet. If you have not been referred, "
            "refer yourself first: once we accept your referral, you can sign in with NHS login."
        )
        return redirect(url_for("referral.start"))
    services.nhs_login_signed_in(user, now=utcnow())
    return redirect(_complete_sign_in(user))


@bp.route("/sign-in/security-code", methods=["GET", "POST"])
@limiter.limit(_sign_in_limit, methods=["POST"])
def second_factor() -> Response | str:
    user = _pending_user()
    if user is None or not user.has_two_factor:
        flash("Sign in again to carry on.")
        return redirect(url_for("auth.sign_in"))
    form = SecondFactorForm()
    if form.validate_on_submit():
        if services.check_second_factor(user, form.code.data or "", now=utcnow()):
            return redirect(_complete_sign_in(user))
        form.code.errors = [
            *form.code.errors,
            "The code is not right or has already been used. Enter the latest code "
            "from your authenticator app, or a recovery code",
        ]
    return render_template("auth/second_factor.html", form=form)


@bp.route("/sign-in/set-up-two-factor", methods=["GET", "POST"])
@limiter.limit(_sign_in_limit, methods=["POST"])
def set_up_two_factor() -> Response | str:
    user = _pending_user()
    if user is None or user.has_two_factor:
        flash("Sign in again to carry on.")
        return redirect(url_for("auth.sign_in"))
    form = TotpSetupForm()
    if request.method == "GET" or user.totp_secret is None:
        services.begin_totp_setup(user)
    if form.validate_on_submit():
        try:
            codes = services.confirm_totp_setup(user, form.code.data or "", now=utcnow())
        except services.AccountError as error:
            form.code.errors = [*form.code.errors, str(error)]
        else:
            _complete_sign_in(user)
            session["new_recovery_codes"] = codes
            return redirect(url_for("auth.recovery_codes"))
    assert user.totp_secret is not None
    uri = twofactor.provisioning_uri(
        user.totp_secret, user.email, current_app.config["SERVICE_NAME"]
    )
    return render_template(
        "auth/set_up_two_factor.html",
        form=form,
        secret=user.totp_secret,
        qr_code=twofactor.qr_code_data_uri(uri),
    )


@bp.route("/account/recovery-codes")
@login_required
def recovery_codes() -> Response | str:
    codes = session.pop("new_recovery_codes", None)
    if not codes:
        return redirect(url_for("auth.account"))
    return render_template("auth/recovery_codes.html", codes=codes)


@bp.route("/account/recovery-codes/new", methods=["POST"])
@login_required
def new_recovery_codes() -> Response:
    if not current_user.is_staff:
        abort(404)
    session["new_recovery_codes"] = services.regenerate_recovery_codes(current_user)
    return redirect(url_for("auth.recovery_codes"))


@bp.route("/sign-out", methods=["POST"])
def sign_out() -> Response:
    if current_user.is_authenticated:
        services.sign_out(current_user)
    logout_user()
    session.clear()
    flash("You have signed out.")
    return redirect(url_for("auth.sign_in"))


def _time_left() -> tuple[Response, int]:
    left = seconds_left()
    if left is None:
        return jsonify(signed_in=False), 401
    idle, absolute = left
    return jsonify(idle_seconds=idle, absolute_seconds=absolute), 200


@bp.route("/session-time")
@keeps_idle_clock
def session_time() -> tuple[Response, int]:
    """How long until the sign-out, for the page's warning (static/app.js), which asks before it
    warns in case another tab has been used since."""
    return _time_left()


@bp.route("/stay-signed-in", methods=["POST"])
def stay_signed_in() -> tuple[Response, int]:
    """The warning's "Stay signed in": the request itself is the activity that restarts the
    idle clock (webapp.security.enforce_session_timeouts); the absolute limit stands."""
    return _time_left()


@bp.route("/forgot-password", methods=["GET", "POST"])
@limiter.limit(_public_form_limit, methods=["POST"])
def forgot_password() -> Response | str:
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        services.request_password_reset(form.email.data or "", now=utcnow())
        return render_template("auth/reset_sent.html", email=form.email.data)
    return render_template("auth/forgot_password.html", form=form)


def _set_password_page(token: str, purpose: TokenPurpose, template: str) -> Response | str:
    row = services.user_for_token(token, purpose, now=utcnow())
    if row is None:
        return render_template("auth/link_expired.html", purpose=purpose), 410
    form = NewPasswordForm(email=row.user.email)
    if form.validate_on_submit():
        try:
            services.set_password_with_token(token, purpose, form.password.data or "", now=utcnow())
        except services.AccountError as error:
            form.form_errors.append(str(error))
        else:
            logout_user()
            session.clear()
            flash("Your password is set. Sign in with your new password.")
            return redirect(url_for("auth.sign_in"))
    return render_template(template, form=form)


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
@limiter.limit(_public_form_limit, methods=["POST"])
def reset_password(token: str) -> Response | str:
    return _set_password_page(token, TokenPurpose.PASSWORD_RESET, "auth/reset_password.html")


@bp.route("/invitation/<token>", methods=["GET", "POST"])
@limiter.limit(_public_form_limit, methods=["POST"])
def accept_invitation(token: str) -> Response | str:
    return _set_password_page(token, TokenPurpose.INVITATION, "auth/accept_invitation.html")


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account() -> Response | str:
    form = ChangePasswordForm(email=current_user.email)
    if form.validate_on_submit():
        try:
            services.change_password(
                current_user, form.current.data or "", form.password.data or "", now=utcnow()
            )
        except services.AccountError as error:
            form.current.errors = [*form.current.errors, str(error)]
        else:
            login_user(current_user)  # the token rotated: keep this session, end the others
            flash("Your password has been changed. Any other sessions have been signed out.")
            return redirect(url_for("auth.account"))
    return render_template(
        "auth/account.html",
        form=form,
        recovery_codes_left=services.unused_recovery_code_count(current_user),
    )
