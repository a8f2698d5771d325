// dcc.Upload drops a file over its max_size without a word. Say so, with the message the
// page carries (in the reader's language), next to a drop zone inside [data-max-bytes].
(function () {
  function check(event) {
    var box = event.target && event.target.closest && event.target.closest("[data-max-bytes]");
    if (!box) {
      return;
    }
    var files = (event.dataTransfer && event.dataTransfer.files) || event.target.files || [];
    var limit = Number(box.getAttribute("data-max-bytes"));
    var tooBig = Array.prototype.some.call(files, function (file) {
      return file.size > limit;
    });
    var message = box.querySelector("#admin-upload-too-big");
    if (message) {
      message.hidden = !tooBig;
    }
  }
  document.addEventListener("change", check, true);
  document.addEventListener("drop", check, true);
})();
