"""Slips (phiếu) of a dossier as signed PDFs, rendered from its events.

For the digitization wiring (keeping each issued slip in the blob store)::

    from adapters.slips.forms import SlipKind
    from adapters.slips.service import Slips

    slips = Slips(pki, lambda code: onestop.get_agency(code).name)
    slip = slips.issue(SlipKind.RECEIPT, list(onestop.events.get(dossier_id)))
    slip.pdf            # signed PDF bytes (officer; apology/stop also sealed)
    slip.sha256, slip.form_number, slip.form_act, slip.issued_at, slip.issued_by
    slip.filename(code)  # e.g. 000.00.00.H34-260302-0001-mau-01-receipt.pdf

``issue`` raises ``SlipNotAvailableError`` (bilingual) when the act the slip
records has not happened, and the ``application.signatures`` errors when it
cannot be signed. ``Slips.register`` renders a unit's dossier register.
"""
