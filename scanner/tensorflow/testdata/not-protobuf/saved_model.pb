saved_model.pb is not here; see the README
