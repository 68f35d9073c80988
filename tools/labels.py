def field_labels(records, fnames):
    """The labels of ``fnames`` on ``records``' model, in the user's language,
    sorted and joined: what a refusal names ("Phone, Latitude ...")."""
    fields = records._fields
    return ", ".join(
        sorted(
            fields[fname]._description_string(records.env) if fname in fields else fname
            for fname in fnames
        )
    )
