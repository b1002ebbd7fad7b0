import logging

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

_logger = logging.getLogger(__name__)


class SmsAuthorMixin(models.AbstractModel):
    """Texts, templates and conditions written by a user and run later by a cron.

    The cron runs them as their author (``text_author_id``: whoever last wrote
    the fields of ``_tm_authored_fields``), in the record's company, never as
    the superuser; advanced placeholders are refused at save time to users who
    may not edit templates, as ``mail.render.mixin`` does. A record whose run
    fails is marked with the reason and its author gets an activity, while the
    cron goes on with the others."""

    _name = "sms.author.mixin"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _description = "Text Messaging Author and Failures"

    #: Fields whose change makes the writing user the author.
    _tm_authored_fields = ()

    text_author_id = fields.Many2one(
        "res.users",
        "Written By",
        readonly=True,
        copy=False,
        help="The cron runs the text and its conditions with this user's rights.",
    )
    failure_reason = fields.Text(readonly=True, copy=False)

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            vals["text_author_id"] = self.env.uid
            self._tm_check_text_vals(vals)
        return super().create(vals_list)

    def write(self, vals):
        if not self.env.su and "text_author_id" in vals:
            vals = {key: val for key, val in vals.items() if key != "text_author_id"}
        if any(name in vals for name in self._tm_authored_fields):
            vals = dict(vals, text_author_id=self.env.uid)
            self._tm_check_text_vals(vals)
        return super().write(vals)

    # ------------------------------------------------------ placeholders --

    def _tm_check_text_vals(self, vals):
        """Refuse a ``body`` of ``vals`` the user may not write."""
        if not vals.get("body"):
            return
        if "template_id" in vals:
            templates = [self.env["sms.template"].browse(vals["template_id"])]
        else:
            templates = [record.template_id for record in self]
        for template in templates or [self.env["sms.template"]]:
            self._tm_check_placeholders(vals["body"], template)

    @api.model
    def _tm_check_placeholders(self, text, template=None, model="res.partner"):
        """Advanced placeholders (code) only for template editors: a template's
        own text was checked when the template was saved."""
        if not text or "{{" not in text:
            return
        if template and text == template.body:
            return
        user = self.env.user
        if user._is_admin() or user.has_group("mail.group_mail_template_editor"):
            return
        renderer = self.env["mail.render.mixin"]
        if renderer._has_unsafe_expression_template_inline_template(text, model):
            raise AccessError(
                self.env._(
                    "Only template editors may use advanced placeholders in a text: "
                    "use simple ones such as {{ object.name }}."
                )
            )

    # ------------------------------------------------------------ author --

    def _tm_author(self):
        self.ensure_one()
        return self.text_author_id or self.create_uid

    def _tm_as_author(self):
        """This record as its author sees it, in the record's company."""
        self.ensure_one()
        author = self._tm_author()
        company = self.company_id
        return self.with_user(author).with_context(
            allowed_company_ids=[company.id] + (author.company_ids - company).ids
        )

    # ---------------------------------------------------------- failures --

    def _tm_run_isolated(self, method, *args):
        """``method(*args)`` in a savepoint: returns (result, None), or (None,
        error) with the failure rolled back, so the cron goes on."""
        try:
            with self.env.cr.savepoint():
                return method(*args), None
        except Exception as error:  # noqa: BLE001 - one record must not stop all
            _logger.info(
                "%s %s failed in its cron run", self._name, self.ids, exc_info=True
            )
            return None, error

    def _tm_failure_text(self, error):
        """The plain reason of a failure."""
        if isinstance(error, UserError | AccessError | ValidationError):
            detail = error.args[0] if error.args else str(error)
        else:
            detail = self.env._(
                "unexpected error (%(error)s); the server log has the details",
                error=type(error).__name__,
            )
        return self.env._("Not sent: %(reason)s", reason=detail)

    def _tm_record_failure(self, error, values=None):
        """Mark this record failed with the reason and tell its author."""
        self.ensure_one()
        reason = self._tm_failure_text(error)
        record = self.sudo()
        is_new = record.failure_reason != reason
        record.write(dict(values or {}, failure_reason=reason))
        author = self._tm_author()
        if not author.active or author.share:
            # Written by a data file or a user since gone: the administrator.
            author = self.env.ref("base.user_admin", raise_if_not_found=False)
        if is_new and author and author.active:
            record.activity_schedule(
                "mail.mail_activity_data_warning",
                summary=self.env._("A text could not be sent"),
                note=reason,
                user_id=author.id,
            )
        return reason
