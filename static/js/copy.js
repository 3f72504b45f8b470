/* Copy buttons: <button data-copy="ID" hidden>. Without JavaScript the button stays hidden
   and the field (readonly, selectable) is copied by hand; with it, one tap copies. */
document.querySelectorAll("button[data-copy]").forEach(function (button) {
  var field = document.getElementById(button.dataset.copy);
  var done = document.getElementById(button.dataset.copyStatus);
  if (!field || !navigator.clipboard) return;
  button.hidden = false;
  button.addEventListener("click", function () {
    navigator.clipboard.writeText(field.value).then(function () {
      if (done) done.textContent = button.dataset.copied;
    }, function () {
      field.select();
    });
  });
});
